-- tests/bench/relay-seed.sql - seed the relay benchmark's throwaway database.
--
-- Run by tests/bench/relay.sh with psql -v ncases=N after `capad migrate`.
-- Creates N nonconformity cases keyed BENCH-1..BENCH-N (a key format the
-- service never issues, so POST /v1/cases cannot collide with them), each
-- with its creation event already published, and bench_event_data(), the
-- ~1.5 kB event body every synthetic case_events row carries (the shape of a
-- capa.case.updated event: the case snapshot after the change plus the
-- changed fields before/after).
\set ON_ERROR_STOP on

CREATE FUNCTION bench_event_data(c cases, v integer) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'case', json_build_object(
            'clause_refs', c.clause_refs,
            'close_due_at', capa_ts(c.close_due_at),
            'closed_at', capa_ts(c.closed_at),
            'contain_due_at', capa_ts(c.contain_due_at),
            'contained_at', capa_ts(c.contained_at),
            'created_at', capa_ts(c.created_at),
            'description', c.description,
            'detected_at', capa_ts(c.detected_at),
            'external_refs', c.external_refs,
            'id', c.id,
            'key', c.key,
            'kind', c.kind,
            'overdue', false,
            'owner', c.owner,
            'reported_by', c.reported_by,
            'severity', c.severity,
            'source', c.source,
            'status', c.status,
            'tags', c.tags,
            'title', c.title,
            'updated_at', capa_ts(now()),
            'version', v,
            'workflow_version', 1),
        'changes', json_build_object(
            'description', json_build_object(
                'after', c.description,
                'before', left(c.description, 60)),
            'owner', json_build_object(
                'after', c.owner,
                'before', 'isms-team')))
$$;

INSERT INTO cases (id, key, kind, workflow_id, status, title, description, source,
                   severity, detected_at, reported_by, owner, tags, clause_refs,
                   external_refs, version, created_at, updated_at, contain_due_at,
                   close_due_at, next_due_at)
SELECT gen_random_uuid(), 'BENCH-' || i, 'nonconformity',
       (SELECT id FROM workflows WHERE kind = 'nonconformity' ORDER BY version DESC LIMIT 1),
       'reported',
       'Firewall rule review overdue (site ' || i || ')',
       'The quarterly review of the perimeter firewall rule base at site ' || i ||
       ' was not performed in Q3 as required by the network security procedure NS-04. '
       'Twelve temporary allow rules created for a migration project were still active '
       'eight weeks after the project ended.',
       'internal_audit', 'minor', d, 'isms.manager@example.com', 'network-team',
       ARRAY['network', 'firewall'], ARRAY['A.8.20', 'A.8.22'],
       '[{"system": "jira", "id": "SEC-1042"}]'::jsonb,
       1, now(), now(), d + interval '7 days', d + interval '90 days', d + interval '7 days'
  FROM generate_series(1, :ncases) AS i,
       LATERAL (SELECT now() - interval '1 day' AS d) AS dd;

INSERT INTO case_events (event_id, case_id, sequence, type, actor, occurred_at, data,
                         prev_hash, hash, published_at)
SELECT gen_random_uuid(), c.id, 1, 'capa.case.created',
       '{"kind":"anonymous","name":null,"subject":"anonymous"}', c.created_at,
       bench_event_data(c, 1), repeat('0', 64),
       encode(sha256(convert_to(c.id || '/1', 'UTF8')), 'hex'), now()
  FROM cases c
 WHERE c.key LIKE 'BENCH-%';

ANALYZE cases;
ANALYZE case_events;
