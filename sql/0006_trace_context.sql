-- 0006: the W3C trace context of the request that wrote a case-log row.
--
-- traceparent and tracestate are what the request's headers of those names
-- carried, when its traceparent was valid (Trace Context level 1); NULL
-- otherwise, and on every row written before this migration or by an older
-- release. They are transport metadata: the relay publishes them as the
-- ce_traceparent and ce_tracestate headers (CloudEvents Distributed Tracing
-- extension) and the feed as attributes, but they are not part of the hash
-- chain, whose rows stay exactly as before.
--
-- The checks are NOT VALID: every existing row has neither column, so there
-- is nothing to validate, and adding them then takes no scan of the log while
-- the table is locked. New and updated rows are checked all the same.
ALTER TABLE case_events
    ADD COLUMN traceparent text,
    ADD COLUMN tracestate text,
    ADD CONSTRAINT case_events_traceparent_check
        CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$') NOT VALID,
    ADD CONSTRAINT case_events_tracestate_check
        CHECK (tracestate IS NULL OR
               (traceparent IS NOT NULL AND length(tracestate) BETWEEN 1 AND 512)) NOT VALID;

-- Like the rest of the event, its trace context never changes once written.
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'case_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.position, NEW.event_id, NEW.case_id, NEW.sequence, NEW.type, NEW.actor,
        NEW.occurred_at, NEW.data::text, NEW.prev_hash, NEW.hash, NEW.txid,
        NEW.traceparent, NEW.tracestate)
       IS DISTINCT FROM
       (OLD.position, OLD.event_id, OLD.case_id, OLD.sequence, OLD.type, OLD.actor,
        OLD.occurred_at, OLD.data::text, OLD.prev_hash, OLD.hash, OLD.txid,
        OLD.traceparent, OLD.tracestate) THEN
        RAISE EXCEPTION 'case_events is append-only: only published_at may change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
