-- tests/bench/relay-backlog.sql - make exactly :backlog fresh unpublished events.
--
-- Run by tests/bench/relay.sh with psql -v backlog=N while no relay runs.
-- Marks every earlier row published (the append-only trigger allows
-- published_at), then appends N capa.case.updated rows spread round-robin
-- over the seeded cases (BENCH-*), in position order interleaved across
-- cases as concurrent writers would leave them, each case's sequence
-- continuing from its version, and bumps the versions to match.
\set ON_ERROR_STOP on

BEGIN;

UPDATE case_events SET published_at = now() WHERE published_at IS NULL;

CREATE TEMP TABLE bench_targets ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY id) - 1)::integer AS idx, id, version
  FROM cases
 WHERE key LIKE 'BENCH-%';

INSERT INTO case_events (event_id, case_id, sequence, type, actor, occurred_at, data,
                         prev_hash, hash)
SELECT gen_random_uuid(), c.id, t.version + g.i / n.n + 1, 'capa.case.updated',
       '{"kind":"anonymous","name":null,"subject":"anonymous"}', now(),
       bench_event_data(c, t.version + g.i / n.n + 1), repeat('0', 64),
       encode(sha256(convert_to(c.id || '/' || (t.version + g.i / n.n + 1), 'UTF8')), 'hex')
  FROM generate_series(0, :backlog - 1) AS g(i)
 CROSS JOIN (SELECT count(*)::integer AS n FROM bench_targets) AS n
  JOIN bench_targets t ON t.idx = g.i % n.n
  JOIN cases c ON c.id = t.id
 ORDER BY g.i;

UPDATE cases c
   SET version = c.version + k.added, updated_at = now()
  FROM (SELECT case_id, count(*)::integer AS added
          FROM case_events WHERE published_at IS NULL GROUP BY case_id) AS k
 WHERE c.id = k.case_id;

COMMIT;
