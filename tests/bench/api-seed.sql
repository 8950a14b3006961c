-- tests/bench/api-seed.sql - load the API benchmark's throwaway database.
--
-- Run by tests/bench/api.sh with psql -v ncases=N after `capad migrate`.
-- Inserts N nonconformity cases in one INSERT ... SELECT generate_series:
-- keys NC-2025-0000001.. (seven digits: a form the service, which issues
-- NC-<year>-0001.., never produces below a million), ids bench_case_id(i)
-- (a v4-shaped uuid the pgbench scripts can compute from i), realistic titles
-- and descriptions drawn from a vocabulary of 30 subjects x 12 findings x 24
-- scopes, created over the last three years. The secondary indexes of cases
-- are dropped for the load and rebuilt afterwards (faster than maintaining
-- four GIN indexes row by row); the caller runs VACUUM ANALYZE.
--
-- Status is a function of i: every i with i % 20 < 7 is 'reported' at
-- version 1, so 35 % of the cases are reported; api.sh hands the even ones
-- to wrk (PATCH, transition: each once, If-Match "1") and lets pgbench change
-- only odd ones.
\set ON_ERROR_STOP on

CREATE FUNCTION bench_case_id(i integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT overlay(overlay(md5('capa-api-bench/' || i) PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid
$$;

CREATE TEMP TABLE dropped_indexes AS
    SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
      FROM pg_index
     WHERE indrelid = 'cases'::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid);

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT name FROM dropped_indexes LOOP
        EXECUTE 'DROP INDEX ' || r.name;
    END LOOP;
END
$$;

WITH v AS (
    SELECT ARRAY['Firewall rule review', 'Access rights review', 'Backup restore test',
                 'Vulnerability scan', 'Supplier security assessment', 'Security awareness training',
                 'Incident post-mortem', 'Encryption key rotation', 'Patch deployment',
                 'Log retention check', 'Privileged account review', 'Asset inventory update',
                 'Business continuity exercise', 'Penetration test remediation',
                 'Data classification labelling', 'Change approval record', 'Clean desk inspection',
                 'Visitor log review', 'Media disposal certificate', 'Risk register update',
                 'Leaver account removal', 'Cloud configuration baseline', 'Source code access review',
                 'Malware signature update', 'Clock synchronisation check', 'VPN certificate renewal',
                 'Segregation of duties check', 'Policy annual review', 'Capacity monitoring alert',
                 'DLP rule tuning'] AS subjects,
           ARRAY['overdue', 'not performed', 'incomplete', 'missing evidence', 'not documented',
                 'performed late', 'not approved', 'failed', 'skipped for two cycles',
                 'done without sign-off', 'outside the agreed scope', 'lacking a named owner'] AS findings,
           ARRAY['for the payroll system', 'in the Frankfurt data centre', 'for the HR SaaS tenant',
                 'on the customer portal', 'for the finance ERP', 'at the Lyon office',
                 'for the CI build farm', 'on the mobile banking app', 'for the CRM platform',
                 'in the Dublin branch', 'for the warehouse scanners', 'on the public website',
                 'for the data warehouse', 'at the Madrid call centre', 'for the e-mail gateway',
                 'on the Kubernetes clusters', 'for the backup appliances', 'in the test environment',
                 'for the identity provider', 'on the point-of-sale terminals', 'for the document archive',
                 'at the Warsaw development centre', 'for the partner API', 'on the office Wi-Fi'] AS scopes,
           ARRAY['reported', 'contained', 'analysed', 'actions_in_progress', 'verifying',
                 'closed', 'rejected'] AS later,
           ARRAY['internal_audit', 'external_audit', 'certification_audit', 'incident',
                 'management_review', 'monitoring', 'risk_assessment', 'customer_complaint',
                 'supplier', 'self_identified'] AS sources,
           ARRAY['major', 'minor', 'minor', 'minor', 'observation', 'observation', 'observation'] AS severities,
           ARRAY['network', 'access', 'backup', 'supplier', 'training', 'cloud', 'physical',
                 'crypto', 'logging', 'hr'] AS tags,
           (SELECT array_agg(id ORDER BY id) FROM controls) AS controls,
           (SELECT id FROM workflows WHERE kind = 'nonconformity' ORDER BY version DESC LIMIT 1) AS wf
), g AS (
    SELECT i, v.*,
           v.subjects[1 + (i / 7) % 30] AS subject,
           v.findings[1 + (i / 210) % 12] AS finding,
           v.scopes[1 + (i / 2520) % 24] AS scope,
           CASE WHEN i % 20 < 7 THEN 'reported'
                ELSE v.later[2 + (i / 20) % 6] END AS status,
           now() - make_interval(secs => (:ncases - i)::double precision * 94608000 / :ncases)
               - interval '1 hour' AS created
      FROM generate_series(1, :ncases) AS i, v
)
INSERT INTO cases (id, key, kind, workflow_id, status, title, description, source, severity,
                   detected_at, reported_by, owner, tags, clause_refs, external_refs, version,
                   created_at, updated_at, contain_due_at, close_due_at, contained_at, closed_at,
                   next_due_at)
SELECT bench_case_id(i),
       'NC-2025-' || lpad(i::text, 7, '0'),
       'nonconformity', wf, status,
       subject || ' ' || finding || ' ' || scope,
       'During the ' || replace(sources[1 + i % 10], '_', ' ') || ' the ' || lower(subject) ||
           ' ' || scope || ' was found ' || finding || '. The procedure requires it every ' ||
           (1 + i % 4) * 3 || ' months; the last record found is from ' ||
           to_char(created - make_interval(days => 90 + i % 200), 'YYYY-MM-DD') ||
           '. Ticket SEC-' || (10000 + i % 90000) || ' tracks the follow-up.',
       sources[1 + i % 10],
       severities[1 + (i / 3) % 7],
       created - interval '2 days',
       'auditor' || (i % 50) || '@example.com',
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'team-' || (i % 40) END,
       ARRAY[tags[1 + i % 10]],
       CASE WHEN i % 3 = 0 THEN ARRAY[controls[1 + i % array_length(controls, 1)]] ELSE '{}' END,
       '[]',
       CASE WHEN status = 'reported' THEN 1 ELSE 2 + i % 6 END,
       created, created,
       created + interval '5 days', created + interval '60 days',
       CASE WHEN status IN ('reported', 'rejected') THEN NULL ELSE created + interval '1 day' END,
       CASE WHEN status IN ('closed', 'rejected') THEN created + interval '40 days' END,
       CASE WHEN status IN ('closed', 'rejected') THEN 'infinity'
            WHEN status = 'reported' THEN created + interval '5 days'
            ELSE created + interval '60 days' END
  FROM g;

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT def FROM dropped_indexes LOOP
        EXECUTE r.def;
    END LOOP;
END
$$;

-- the service's key counter starts where a fresh installation would
DELETE FROM case_key_counters;
