-- tests/bench/relay-create.lua - wrk script: POST /v1/cases with a valid
-- nonconformity, counting non-2xx answers across threads. done() prints one
-- line that tests/bench/relay.sh parses:
--   BENCH responses=<n> non2xx=<n> socket_errors=<n>

-- a plausible detection: one day before the run
local detected = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 86400)

wrk.method = "POST"
wrk.path = "/v1/cases"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_KEY"), "BENCH_KEY unset")
wrk.body = '{"kind":"nonconformity","title":"Firewall rule review overdue",' ..
    '"source":"internal_audit","severity":"minor","detected_at":"' .. detected .. '",' ..
    '"reported_by":"isms.manager@example.com",' ..
    '"description":"The quarterly review of the perimeter firewall rule base was not ' ..
    'performed in Q3 as required by the network security procedure NS-04.",' ..
    '"clause_refs":["A.8.20"],"tags":["network"]}'

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    responses = 0
    non2xx = 0
end

function response(status, headers, body)
    responses = responses + 1
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
        if non2xx <= 3 then
            io.stderr:write("non-2xx " .. status .. ": " .. (body or "") .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local n, bad = 0, 0
    for _, t in ipairs(threads) do
        n = n + t:get("responses")
        bad = bad + t:get("non2xx")
    end
    local e = summary.errors
    io.write(string.format("BENCH responses=%d non2xx=%d socket_errors=%d\n", n, bad,
        e.connect + e.read + e.write + e.timeout))
end
