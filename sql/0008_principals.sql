-- 0008: people a case names may be principals, compared by identity.
--
-- An owner, an assignee or a reviewer is free text, or a principal
-- {"kind": "user" | "api_key", "subject", "name"?}: segregation of duties
-- compares principals by kind and subject, and free text by the name
-- folded for case, spaces and punctuation.

-- The owner as a principal; cases.owner keeps the text the list filters on
-- (a principal's subject).
ALTER TABLE cases ADD COLUMN owner_principal jsonb;
ALTER TABLE cases ADD CONSTRAINT cases_owner_principal_check
    CHECK (owner_principal IS NULL OR jsonb_typeof(owner_principal) = 'object');

-- An action's assignee for GET /v1/actions?assignee=: free text, or a
-- principal's subject. A generated column's expression cannot change in
-- place: the column and its index are made again.
DROP INDEX case_records_actions_idx;
ALTER TABLE case_records DROP COLUMN assignee;
ALTER TABLE case_records ADD COLUMN assignee text GENERATED ALWAYS AS (
    CASE WHEN kind = 'action' THEN
        CASE WHEN jsonb_typeof(data->'assignee') = 'object' THEN data->'assignee'->>'subject'
             ELSE data->>'assignee' END
    END) STORED;
CREATE INDEX case_records_actions_idx ON case_records (assignee, action_status, due_date)
    WHERE kind = 'action';
