-- 0004: what clause 10.2 asks to record beneath a case, and the Annex A catalogue.
--
-- Every record beneath a case (correction, root-cause analysis, action,
-- effectiveness review, ISMS change, link, evidence, comment, approval) is a
-- row of case_records: its kind, its validated content as JSON, and who made
-- and last changed it. Every change of a record bumps the case's version and
-- appends a case_events row in the same transaction, like any change of the
-- case itself; the history of a record is therefore in the case log.

-- similarity of titles, to suggest recurrences (a trusted extension: the
-- database owner may create it)
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE controls (
    id     text NOT NULL,
    theme  text NOT NULL,
    title  text NOT NULL,
    CONSTRAINT controls_pkey PRIMARY KEY (id),
    CONSTRAINT controls_theme_check
        CHECK (theme IN ('organizational', 'people', 'physical', 'technological'))
);

-- 'YYYY-MM-DD' (validated by the service) as a date, independent of DateStyle
CREATE FUNCTION capa_iso_date(t text) RETURNS date LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT make_date(substr(t, 1, 4)::integer, substr(t, 6, 2)::integer, substr(t, 9, 2)::integer)
$$;

CREATE TABLE case_records (
    id          uuid        NOT NULL,
    case_id     uuid        NOT NULL,
    kind        text        NOT NULL,
    number      integer     NOT NULL,  -- 1, 2, ... per case and kind
    data        jsonb       NOT NULL,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    created_by  jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  jsonb       NOT NULL,
    removed_at  timestamptz,           -- links only: removed, kept for the record
    -- actions across cases (GET /v1/actions), links to controls and cases
    assignee    text GENERATED ALWAYS AS (CASE WHEN kind = 'action' THEN data->>'assignee' END) STORED,
    action_status text GENERATED ALWAYS AS (CASE WHEN kind = 'action' THEN data->>'status' END) STORED,
    due_date    date GENERATED ALWAYS AS (CASE WHEN kind = 'action' THEN capa_iso_date(data->>'due_date') END) STORED,
    control_id  text GENERATED ALWAYS AS (CASE WHEN kind = 'link' THEN data->>'control' END) STORED,
    target_case_id uuid GENERATED ALWAYS AS (CASE WHEN kind = 'link' THEN (data->>'target_case_id')::uuid END) STORED,
    CONSTRAINT case_records_pkey PRIMARY KEY (id),
    CONSTRAINT case_records_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT case_records_number_key UNIQUE (case_id, kind, number),
    CONSTRAINT case_records_kind_check CHECK (kind IN ('correction', 'root_cause', 'action',
        'review', 'isms_change', 'link', 'evidence', 'comment', 'approval')),
    CONSTRAINT case_records_control_fkey FOREIGN KEY (control_id) REFERENCES controls (id),
    CONSTRAINT case_records_target_case_fkey FOREIGN KEY (target_case_id) REFERENCES cases (id)
);

CREATE INDEX case_records_case_idx ON case_records (case_id, kind, number);
CREATE INDEX case_records_actions_idx ON case_records (assignee, action_status, due_date)
    WHERE kind = 'action';
CREATE INDEX case_records_actions_due_idx ON case_records (due_date, id) WHERE kind = 'action';
CREATE INDEX case_records_control_idx ON case_records (control_id)
    WHERE kind = 'link' AND removed_at IS NULL;
CREATE INDEX case_records_target_idx ON case_records (target_case_id)
    WHERE kind = 'link' AND removed_at IS NULL;

-- The bytes of evidence files: written once, never updated or deleted.
CREATE TABLE evidence_contents (
    record_id  uuid  NOT NULL,
    content    bytea NOT NULL,
    CONSTRAINT evidence_contents_pkey PRIMARY KEY (record_id),
    CONSTRAINT evidence_contents_record_fkey FOREIGN KEY (record_id) REFERENCES case_records (id)
);
ALTER TABLE evidence_contents ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE FUNCTION evidence_contents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence contents cannot be changed or deleted'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER evidence_contents_immutable BEFORE UPDATE OR DELETE ON evidence_contents
    FOR EACH ROW EXECUTE FUNCTION evidence_contents_immutable();

-- Effectiveness reviews that found the actions not effective send the case
-- back to analysis; the case counts them.
ALTER TABLE cases ADD COLUMN reopened_count integer NOT NULL DEFAULT 0;

-- Earlier cases that look like recurrences, found when a case is created.
ALTER TABLE cases ADD COLUMN recurrence_candidates jsonb NOT NULL DEFAULT '[]';
CREATE INDEX cases_has_recurrence_idx ON cases ((jsonb_array_length(recurrence_candidates) > 0));
CREATE INDEX cases_title_trgm_idx ON cases USING gin (title gin_trgm_ops);
INSERT INTO controls (id, theme, title) VALUES
('A.5.1', 'organizational', 'Policies for information security'),
('A.5.2', 'organizational', 'Information security roles and responsibilities'),
('A.5.3', 'organizational', 'Segregation of duties'),
('A.5.4', 'organizational', 'Management responsibilities'),
('A.5.5', 'organizational', 'Contact with authorities'),
('A.5.6', 'organizational', 'Contact with special interest groups'),
('A.5.7', 'organizational', 'Threat intelligence'),
('A.5.8', 'organizational', 'Information security in project management'),
('A.5.9', 'organizational', 'Inventory of information and other associated assets'),
('A.5.10', 'organizational', 'Acceptable use of information and other associated assets'),
('A.5.11', 'organizational', 'Return of assets'),
('A.5.12', 'organizational', 'Classification of information'),
('A.5.13', 'organizational', 'Labelling of information'),
('A.5.14', 'organizational', 'Information transfer'),
('A.5.15', 'organizational', 'Access control'),
('A.5.16', 'organizational', 'Identity management'),
('A.5.17', 'organizational', 'Authentication information'),
('A.5.18', 'organizational', 'Access rights'),
('A.5.19', 'organizational', 'Information security in supplier relationships'),
('A.5.20', 'organizational', 'Addressing information security within supplier agreements'),
('A.5.21', 'organizational', 'Managing information security in the ICT supply chain'),
('A.5.22', 'organizational', 'Monitoring, review and change management of supplier services'),
('A.5.23', 'organizational', 'Information security for use of cloud services'),
('A.5.24', 'organizational', 'Information security incident management planning and preparation'),
('A.5.25', 'organizational', 'Assessment and decision on information security events'),
('A.5.26', 'organizational', 'Response to information security incidents'),
('A.5.27', 'organizational', 'Learning from information security incidents'),
('A.5.28', 'organizational', 'Collection of evidence'),
('A.5.29', 'organizational', 'Information security during disruption'),
('A.5.30', 'organizational', 'ICT readiness for business continuity'),
('A.5.31', 'organizational', 'Legal, statutory, regulatory and contractual requirements'),
('A.5.32', 'organizational', 'Intellectual property rights'),
('A.5.33', 'organizational', 'Protection of records'),
('A.5.34', 'organizational', 'Privacy and protection of personal identifiable information (PII)'),
('A.5.35', 'organizational', 'Independent review of information security'),
('A.5.36', 'organizational', 'Compliance with policies, rules and standards for information security'),
('A.5.37', 'organizational', 'Documented operating procedures'),
('A.6.1', 'people', 'Screening'),
('A.6.2', 'people', 'Terms and conditions of employment'),
('A.6.3', 'people', 'Information security awareness, education and training'),
('A.6.4', 'people', 'Disciplinary process'),
('A.6.5', 'people', 'Responsibilities after termination or change of employment'),
('A.6.6', 'people', 'Confidentiality or non-disclosure agreements'),
('A.6.7', 'people', 'Remote working'),
('A.6.8', 'people', 'Information security event reporting'),
('A.7.1', 'physical', 'Physical security perimeters'),
('A.7.2', 'physical', 'Physical entry'),
('A.7.3', 'physical', 'Securing offices, rooms and facilities'),
('A.7.4', 'physical', 'Physical security monitoring'),
('A.7.5', 'physical', 'Protecting against physical and environmental threats'),
('A.7.6', 'physical', 'Working in secure areas'),
('A.7.7', 'physical', 'Clear desk and clear screen'),
('A.7.8', 'physical', 'Equipment siting and protection'),
('A.7.9', 'physical', 'Security of assets off-premises'),
('A.7.10', 'physical', 'Storage media'),
('A.7.11', 'physical', 'Supporting utilities'),
('A.7.12', 'physical', 'Cabling security'),
('A.7.13', 'physical', 'Equipment maintenance'),
('A.7.14', 'physical', 'Secure disposal or re-use of equipment'),
('A.8.1', 'technological', 'User endpoint devices'),
('A.8.2', 'technological', 'Privileged access rights'),
('A.8.3', 'technological', 'Information access restriction'),
('A.8.4', 'technological', 'Access to source code'),
('A.8.5', 'technological', 'Secure authentication'),
('A.8.6', 'technological', 'Capacity management'),
('A.8.7', 'technological', 'Protection against malware'),
('A.8.8', 'technological', 'Management of technical vulnerabilities'),
('A.8.9', 'technological', 'Configuration management'),
('A.8.10', 'technological', 'Information deletion'),
('A.8.11', 'technological', 'Data masking'),
('A.8.12', 'technological', 'Data leakage prevention'),
('A.8.13', 'technological', 'Information backup'),
('A.8.14', 'technological', 'Redundancy of information processing facilities'),
('A.8.15', 'technological', 'Logging'),
('A.8.16', 'technological', 'Monitoring activities'),
('A.8.17', 'technological', 'Clock synchronization'),
('A.8.18', 'technological', 'Use of privileged utility programs'),
('A.8.19', 'technological', 'Installation of software on operational systems'),
('A.8.20', 'technological', 'Networks security'),
('A.8.21', 'technological', 'Security of network services'),
('A.8.22', 'technological', 'Segregation of networks'),
('A.8.23', 'technological', 'Web filtering'),
('A.8.24', 'technological', 'Use of cryptography'),
('A.8.25', 'technological', 'Secure development life cycle'),
('A.8.26', 'technological', 'Application security requirements'),
('A.8.27', 'technological', 'Secure system architecture and engineering principles'),
('A.8.28', 'technological', 'Secure coding'),
('A.8.29', 'technological', 'Security testing in development and acceptance'),
('A.8.30', 'technological', 'Outsourced development'),
('A.8.31', 'technological', 'Separation of development, test and production environments'),
('A.8.32', 'technological', 'Change management'),
('A.8.33', 'technological', 'Test information'),
('A.8.34', 'technological', 'Protection of information systems during audit testing');
