-- tests/bench/api-create.lua - wrk: POST /v1/cases, a valid nonconformity,
-- the title rotating over a few realistic ones (no Idempotency-Key).
dofile(os.getenv("BENCH_DIR") .. "/api-lib.lua")

local detected = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 86400)
local titles = {"Firewall rule review overdue", "Backup restore test not performed",
    "Leaver account removal late for the HR SaaS tenant", "Vulnerability scan incomplete",
    "Supplier security assessment missing evidence"}
local bodies, k = {}, 0
for i, t in ipairs(titles) do
    bodies[i] = '{"kind":"nonconformity","title":"' .. t .. '",' ..
        '"source":"internal_audit","severity":"minor","detected_at":"' .. detected .. '",' ..
        '"reported_by":"isms.manager@example.com",' ..
        '"description":"The quarterly review of the perimeter firewall rule base was not ' ..
        'performed in Q3 as required by the network security procedure NS-04.",' ..
        '"clause_refs":["A.8.20"],"tags":["network"]}'
end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = bench_auth}

function request()
    k = k % #bodies + 1
    return wrk.format("POST", "/v1/cases", headers, bodies[k])
end
