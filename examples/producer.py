#!/usr/bin/env python3
"""Writes memories to MnemoCore's Subconscious Bus with nothing but `redis` and `msgpack`.

    python3 examples/producer.py [--redis redis://localhost:6379/0] [--tenant acme]

Each memory is a msgpack map in the stream entry's `data` field (the README's event schema):
text memories are encoded by the job; vector memories carry a packed 16,384-bit HDV
(numpy.packbits order, 2,048 bytes) - here made with os.urandom, no numpy needed.
"""
import argparse
import os
import time

import msgpack
import redis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", default="redis://localhost:6379/0")
    ap.add_argument("--stream", default="haim:subconscious")
    ap.add_argument("--tenant", default="default")
    ap.add_argument("--vector-out", help="also write the vector memory's packed HDV to this file")
    a = ap.parse_args()
    r = redis.Redis.from_url(a.redis)

    texts = {
        "py-garden": ("remember to water the tomatoes on friday", "garden"),
        "py-work": ("the quarterly report is due next week", "work"),
        "py-travel": ("the train to lyon leaves at seven from platform four", "travel"),
    }
    for memory_id, (text, context) in texts.items():
        event = {"type": "memory.write", "tenant": a.tenant, "memory_id": memory_id, "text": text,
                 "context_id": context, "ltp_strength": 0.9, "timestamp": int(time.time() * 1000),
                 "payload": {"source": "producer.py"}}
        entry_id = r.xadd(a.stream, {"data": msgpack.packb(event)})
        print(f"wrote {a.tenant}/{memory_id} as {entry_id.decode()}")

    hdv = os.urandom(16384 // 8)
    if a.vector_out:
        with open(a.vector_out, "wb") as f:
            f.write(hdv)
    entry_id = r.xadd(a.stream, {"data": msgpack.packb(
        {"type": "memory.write", "tenant": a.tenant, "memory_id": "py-vector", "hdv": hdv})})
    print(f"wrote {a.tenant}/py-vector as {entry_id.decode()}")
    # An access reinforces a memory's LTP strength.
    r.xadd(a.stream, {"data": msgpack.packb(
        {"type": "memory.access", "tenant": a.tenant, "memory_id": "py-garden", "access_count": 1})})


if __name__ == "__main__":
    main()
