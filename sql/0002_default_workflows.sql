-- 0002: the default workflows, version 1 of each kind.
--
-- Nonconformity: ISO/IEC 27001:2022 clause 10.2 (10.1 in the 2013 edition).
-- Improvement: clause 10.1 (opportunities for improvement).
-- Guard names come from the service's guard library (service/domain/workflow.c);
-- sla_days give, per severity, the days from detection to containment and to
-- closure (null: no deadline).

INSERT INTO workflows (kind, version, definition) VALUES ('nonconformity', 1, $json$
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
     "guards": ["corrective_action_planned"], "roles": ["contributor"]},
    {"from": "actions_in_progress", "to": "verifying",
     "guards": ["actions_finished", "review_scheduled"], "roles": ["contributor"]},
    {"from": "verifying", "to": "closed",
     "guards": ["review_effective", "isms_change_decided", "closure_approved_if_major"],
     "roles": ["approver"]},
    {"from": "reported", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "contained", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]}
  ],
  "sla_days": {
    "major":       {"contain": 2,    "close": 30},
    "minor":       {"contain": 7,    "close": 90},
    "observation": {"contain": null, "close": 180}
  }
}
$json$::jsonb);

INSERT INTO workflows (kind, version, definition) VALUES ('improvement', 1, $json$
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
    {"from": "proposed", "to": "approved",
     "guards": ["improvement_approved"], "roles": ["approver"]},
    {"from": "approved", "to": "in_progress",
     "guards": ["improvement_action_planned"], "roles": ["contributor"]},
    {"from": "in_progress", "to": "implemented",
     "guards": ["actions_finished"], "roles": ["contributor"]},
    {"from": "implemented", "to": "closed",
     "guards": [], "roles": ["approver"]},
    {"from": "proposed", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]},
    {"from": "approved", "to": "rejected",
     "guards": ["comment_given"], "roles": ["approver"]}
  ],
  "sla_days": {
    "none": {"contain": null, "close": 180}
  }
}
$json$::jsonb);
