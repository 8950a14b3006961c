-- 0003: publishing the case log.
--
-- The relay marks a row published only from a delivery report that says the
-- broker persisted it. A row the broker refuses for good (too large, not
-- authorised) is marked failed: it and the later rows of its case wait for an
-- operator, and other cases go on. These columns are the only ones of
-- case_events that may change (the append-only trigger of 0001 guards the
-- others by name).
ALTER TABLE case_events
    ADD COLUMN publish_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN publish_error text,
    ADD COLUMN publish_failed_at timestamptz;

CREATE INDEX case_events_publish_failed_idx ON case_events (case_id)
    WHERE publish_failed_at IS NOT NULL AND published_at IS NULL;

-- The HTTP feed reads in (txid, position) order: a row becomes readable only
-- once every transaction that could still commit an earlier row has ended.
CREATE INDEX case_events_feed_idx ON case_events (txid, position);
CREATE INDEX case_events_case_feed_idx ON case_events (case_id, txid, position);

-- Committed rows wake the relay (NOTIFY is delivered at commit, once per
-- transaction for identical payloads).
CREATE FUNCTION case_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('capa_case_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER case_events_notify AFTER INSERT ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_notify();
