-- 0007: clause 10.2 in its order - cycles, reopening, approval steps, and
-- every write safe to retry.
--
-- A case starts in cycle 1; a not_effective verdict, and every reopening of a
-- closed case, starts the next. Each record keeps the cycle it was written
-- in: the workflow's guards count the records of the current cycle only.
-- Rows written before this migration are of cycle 1.

ALTER TABLE cases ADD COLUMN cycle integer NOT NULL DEFAULT 1;
ALTER TABLE cases ADD CONSTRAINT cases_cycle_check CHECK (cycle > 0);
ALTER TABLE case_records ADD COLUMN cycle integer NOT NULL DEFAULT 1;
ALTER TABLE case_records ADD CONSTRAINT case_records_cycle_check CHECK (cycle > 0);

-- When containment was performed, as its corrections say (the latest
-- performed_at among the corrections recorded when the case became
-- contained), beside contained_at, when the case moved.
ALTER TABLE cases ADD COLUMN containment_performed_at timestamptz;
UPDATE cases c SET containment_performed_at = (
    SELECT max((r.data->>'performed_at')::timestamptz) FROM case_records r
     WHERE r.case_id = c.id AND r.kind = 'correction' AND r.created_at <= c.contained_at)
 WHERE c.contained_at IS NOT NULL;

-- An idempotency key of any write: the case-log row its first request wrote
-- holds the answer a retry gets again (NULL: a case create of an earlier
-- release, answered with the case as it is).
ALTER TABLE idempotency_keys ADD COLUMN sequence integer;

-- Version 2 of the default workflows: the approval step named, where
-- effectiveness is verified and where a not-effective verdict sends a case,
-- reopening of a closed case, and an improvement closed only after a review
-- found its benefit. A case back in analysed (not effective, or reopened)
-- moves on only with a root-cause analysis of its new cycle. Cases keep the
-- version they started under.
INSERT INTO workflows (kind, version, definition) VALUES ('nonconformity', 2, $json$
{
  "kind": "nonconformity",
  "initial": "reported",
  "states": [
    {"name": "reported"},
    {"name": "contained", "contained": true},
    {"name": "analysed", "contained": true},
    {"name": "actions_in_progress", "contained": true},
    {"name": "verifying", "contained": true},
    {"name": "closed", "contained": true, "terminal": true},
    {"name": "rejected", "terminal": true}
  ],
  "transitions": [
    {"from": "reported", "to": "contained",
     "guards": ["has_correction"], "roles": ["contributor"]},
    {"from": "contained", "to": "analysed",
     "guards": ["root_cause_complete"], "roles": ["contributor"]},
    {"from": "analysed", "to": "actions_in_progress",
     "guards": ["root_cause_complete", "corrective_action_planned"], "roles": ["contributor"]},
    {"from": "actions_in_progress", "to": "verifying",
     "guards": ["actions_finished", "review_scheduled"], "roles": ["contributor"]},
    {"from": "verifying", "to": "closed", "approval": "closure",
     "guards": ["review_effective", "isms_change_decided", "closure_approved_if_major"],
     "roles": ["approver"]},
    {"from": "reported", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "contained", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "closed", "to": "analysed", "reopen": true,
     "guards": ["comment_given"], "roles": ["approver"]}
  ],
  "verification": "verifying",
  "on_not_effective": "analysed",
  "sla_days": {
    "major":       {"contain": 2,    "close": 30},
    "minor":       {"contain": 7,    "close": 90},
    "observation": {"contain": null, "close": 180}
  }
}
$json$::jsonb);

INSERT INTO workflows (kind, version, definition) VALUES ('improvement', 2, $json$
{
  "kind": "improvement",
  "initial": "proposed",
  "states": [
    {"name": "proposed"},
    {"name": "approved"},
    {"name": "in_progress"},
    {"name": "implemented"},
    {"name": "closed", "terminal": true},
    {"name": "rejected", "terminal": true}
  ],
  "transitions": [
    {"from": "proposed", "to": "approved", "approval": "approve",
     "guards": ["improvement_approved"], "roles": ["approver"]},
    {"from": "approved", "to": "in_progress",
     "guards": ["improvement_action_planned"], "roles": ["contributor"]},
    {"from": "in_progress", "to": "implemented",
     "guards": ["actions_finished", "review_scheduled"], "roles": ["contributor"]},
    {"from": "implemented", "to": "closed",
     "guards": ["benefit_confirmed"], "roles": ["approver"]},
    {"from": "proposed", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "approved", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "closed", "to": "in_progress", "reopen": true,
     "guards": ["comment_given"], "roles": ["approver"]}
  ],
  "verification": "implemented",
  "on_not_effective": "in_progress",
  "sla_days": {
    "none": {"contain": null, "close": 180}
  }
}
$json$::jsonb);
