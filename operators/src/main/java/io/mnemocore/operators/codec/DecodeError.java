package io.mnemocore.operators.codec;

import java.io.Serializable;

/** Why an event was rejected: a stable machine-readable reason plus a human-readable detail. */
public final class DecodeError implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Stable reason codes; they are written to the DLQ, so never rename one. */
    public enum Reason {
        MALFORMED("malformed"),
        NOT_A_MAP("not_a_map"),
        MISSING_FIELD("missing_field"),
        WRONG_TYPE("wrong_type"),
        UNKNOWN_TYPE("unknown_type"),
        DUPLICATE_FIELD("duplicate_field"),
        CONFLICTING_FIELDS("conflicting_fields"),
        BAD_HDV_LENGTH("bad_hdv_length"),
        BAD_HDV_VALUE("bad_hdv_value"),
        BAD_STRENGTH("bad_strength"),
        BAD_VALUE("bad_value"),
        BAD_ID("bad_id"),
        ID_TOO_LONG("id_too_long"),
        TEXT_TOO_LONG("text_too_long"),
        PAYLOAD_TOO_LARGE("payload_too_large"),
        OVERSIZED("oversized"),
        TRAILING_BYTES("trailing_bytes"),
        TENANT_MISMATCH("tenant_mismatch"),
        RESERVED_REPLY_TO("reserved_reply_to");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;
    private final String detail;

    public DecodeError(Reason reason, String detail) {
        this.reason = reason;
        this.detail = detail;
    }

    public Reason reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return reason.code() + ": " + detail;
    }
}
