-- 0001: workflows, cases, the append-only case log, key counters, idempotency keys.
--
-- The case log (case_events) is at once the audit trail, the HTTP event feed and
-- the Kafka outbox: every change to a case is appended here in the transaction that
-- makes the change. Rows are never updated or deleted, except published_at, the one
-- column the Kafka relay sets; a trigger enforces it.

CREATE TABLE workflows (
    id          integer GENERATED ALWAYS AS IDENTITY,
    kind        text        NOT NULL,
    version     integer     NOT NULL,
    definition  jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflows_pkey PRIMARY KEY (id),
    CONSTRAINT workflows_kind_version_key UNIQUE (kind, version),
    CONSTRAINT workflows_kind_check CHECK (kind IN ('nonconformity', 'improvement')),
    CONSTRAINT workflows_version_check CHECK (version > 0)
);

CREATE TABLE cases (
    id              uuid        NOT NULL,
    key             text        NOT NULL,
    kind            text        NOT NULL,
    workflow_id     integer     NOT NULL,
    status          text        NOT NULL,
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    source          text        NOT NULL,
    severity        text        NOT NULL,
    detected_at     timestamptz NOT NULL,
    reported_by     text        NOT NULL,
    owner           text,
    tags            text[]      NOT NULL DEFAULT '{}',
    clause_refs     text[]      NOT NULL DEFAULT '{}',
    external_refs   jsonb       NOT NULL DEFAULT '[]',
    version         integer     NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    contain_due_at  timestamptz,
    close_due_at    timestamptz,
    contained_at    timestamptz,
    closed_at       timestamptz,
    -- the next deadline (contain, then close; 'infinity' once closed), kept for
    -- keyset sorting by due date
    next_due_at     timestamptz NOT NULL,
    search          tsvector GENERATED ALWAYS AS (
                        to_tsvector('english', title || ' ' || description)) STORED,
    CONSTRAINT cases_pkey PRIMARY KEY (id),
    CONSTRAINT cases_key_key UNIQUE (key),
    CONSTRAINT cases_workflow_fkey FOREIGN KEY (workflow_id) REFERENCES workflows (id),
    CONSTRAINT cases_kind_check CHECK (kind IN ('nonconformity', 'improvement')),
    CONSTRAINT cases_version_check CHECK (version > 0)
);

CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);
CREATE INDEX cases_next_due_idx ON cases (next_due_at, id);
CREATE INDEX cases_status_idx ON cases (status, created_at DESC, id DESC);
CREATE INDEX cases_owner_idx ON cases (owner, created_at DESC, id DESC);
CREATE INDEX cases_detected_idx ON cases (detected_at);
CREATE INDEX cases_tags_idx ON cases USING gin (tags);
CREATE INDEX cases_clause_refs_idx ON cases USING gin (clause_refs);
CREATE INDEX cases_search_idx ON cases USING gin (search);
CREATE INDEX cases_open_due_idx ON cases (close_due_at) WHERE closed_at IS NULL;

-- Overdue is derived, never stored: one definition used by the list filter and
-- by every read of a case.
CREATE FUNCTION case_is_overdue(closed_at timestamptz, contained_at timestamptz,
                                contain_due_at timestamptz, close_due_at timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT closed_at IS NULL
       AND (coalesce(close_due_at < now(), false)
            OR (contained_at IS NULL AND coalesce(contain_due_at < now(), false)))
$$;

-- The one text form of a timestamp that leaves the database (and enters the hash
-- chain): RFC 3339, UTC, microseconds.
CREATE FUNCTION capa_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- A JSON array of strings as text[], order kept: how array parameters are passed.
CREATE FUNCTION capa_text_array(a jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(v ORDER BY i), '{}')
      FROM jsonb_array_elements_text(a) WITH ORDINALITY AS t(v, i)
$$;

CREATE TABLE case_key_counters (
    prefix  text    NOT NULL,
    year    integer NOT NULL,
    last    integer NOT NULL,
    CONSTRAINT case_key_counters_pkey PRIMARY KEY (prefix, year)
);

CREATE TABLE case_events (
    position     bigint      GENERATED ALWAYS AS IDENTITY,
    event_id     uuid        NOT NULL,
    case_id      uuid        NOT NULL,
    sequence     integer     NOT NULL,
    type         text        NOT NULL,
    actor        text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    -- json, not jsonb: the exact text that was hashed is kept
    data         json        NOT NULL,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL,
    -- writing transaction, so a feed reader can wait for late committers
    txid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    published_at timestamptz,
    CONSTRAINT case_events_pkey PRIMARY KEY (position),
    CONSTRAINT case_events_event_id_key UNIQUE (event_id),
    CONSTRAINT case_events_case_sequence_key UNIQUE (case_id, sequence),
    CONSTRAINT case_events_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT case_events_sequence_check CHECK (sequence > 0)
);

CREATE INDEX case_events_unpublished_idx ON case_events (position) WHERE published_at IS NULL;

CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'case_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.position, NEW.event_id, NEW.case_id, NEW.sequence, NEW.type, NEW.actor,
        NEW.occurred_at, NEW.data::text, NEW.prev_hash, NEW.hash, NEW.txid)
       IS DISTINCT FROM
       (OLD.position, OLD.event_id, OLD.case_id, OLD.sequence, OLD.type, OLD.actor,
        OLD.occurred_at, OLD.data::text, OLD.prev_hash, OLD.hash, OLD.txid) THEN
        RAISE EXCEPTION 'case_events is append-only: only published_at may change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

CREATE TABLE idempotency_keys (
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    case_id       uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (key),
    -- deferred: the key is claimed before the case row exists, in the same transaction
    CONSTRAINT idempotency_keys_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id)
        DEFERRABLE INITIALLY DEFERRED
);
