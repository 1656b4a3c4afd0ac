#!/usr/bin/env python3
"""Asks MnemoCore a question with nothing but `redis` and `msgpack`, and waits for the answer.

    python3 examples/querier.py --text "water the tomatoes" --context garden [--tenant acme]
    python3 examples/querier.py --hdv-file vector.bin        # 2,048 bytes, numpy.packbits order
    python3 examples/querier.py --predict --context garden [--window 60]
    python3 examples/querier.py --predict --hdv-file context.bin   # the blueprint's event: a context vector

The query goes to the query stream (haim:queries); the job answers on the query's reply_to
stream with {query_id, hits: [{memory_id, distance, score, tier, ltp_strength, payload?}],
metadata: {tier, latency_ms, confidence, degraded, ...}}. With --predict it sends an
inference.predict instead: the memories the context's recent uses predict come back in
metadata.predicted (and as hits where HOT or WARM holds them), and the job pre-warms them.
Where the context has no such history (or no --context is given), the memories nearest to the
--hdv-file context vector are the prediction; where the history predicts fewer than --k, they
fill the rest. metadata.predicted_by says which: history, content, history+content or none.
Prints the reply as JSON.
"""
import argparse
import json
import sys
import uuid

import msgpack
import redis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", default="redis://localhost:6379/0")
    ap.add_argument("--stream", default="haim:queries")
    ap.add_argument("--tenant", default="default")
    ap.add_argument("--text")
    ap.add_argument("--hdv-file")
    ap.add_argument("--context")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--predict", action="store_true", help="ask what the context will use next")
    ap.add_argument("--window", type=int, default=60, help="--predict: seconds ahead")
    ap.add_argument("--dim", type=int, default=16384)
    a = ap.parse_args()
    if a.predict and not (a.context or a.hdv_file):
        sys.exit("--predict needs --context, --hdv-file (a context vector) or both")
    if not a.predict and (a.text is None) == (a.hdv_file is None):
        sys.exit("give exactly one of --text and --hdv-file")
    r = redis.Redis.from_url(a.redis)

    query_id = "py-" + uuid.uuid4().hex
    # Ends in the tenant: on a tenant's own query stream (--stream haim:queries:<tenant>) the job
    # replies only into streams of that tenant.
    reply_to = "haim:replies:" + query_id + ":" + a.tenant
    query = {"type": "query", "tenant": a.tenant, "query_id": query_id, "k": a.k, "reply_to": reply_to}
    if a.predict:
        query["type"] = "inference.predict"
        query["prediction_window"] = a.window
        if a.hdv_file:
            with open(a.hdv_file, "rb") as f:
                query["context_hdv"] = f.read()
        else:
            query["context_hdv"] = bytes(a.dim // 8)  # required by the schema; all zeros: no context vector
    elif a.text is not None:
        query["text"] = a.text
    else:
        with open(a.hdv_file, "rb") as f:
            query["hdv"] = f.read()
    if a.context:
        query["context_id"] = a.context
    r.xadd(a.stream, {"data": msgpack.packb(query)})

    # This reply stream is ours alone: read it from the start, then delete it.
    got = r.xread({reply_to: "0-0"}, count=1, block=int(a.timeout * 1000))
    r.delete(reply_to)
    if not got:
        sys.exit(f"no reply within {a.timeout} s - is the job running?")
    fields = got[0][1][0][1]
    reply = msgpack.unpackb(fields[b"data"], raw=False)
    print(json.dumps(reply, indent=2, default=repr))


if __name__ == "__main__":
    main()
