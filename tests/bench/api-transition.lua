-- tests/bench/api-transition.lua - wrk: POST /v1/cases/{id}/transitions
-- reported -> rejected with a comment (If-Match "1"), each case of this
-- thread's share of $BENCH_IDS once.
dofile(os.getenv("BENCH_DIR") .. "/api-lib.lua")

local ids, i = nil, 0
local headers = {["Content-Type"] = "application/json", ["If-Match"] = '"1"',
    ["Authorization"] = bench_auth}
local body = '{"to":"rejected","comment":"duplicate of an earlier report"}'

function init(args)
    ids = bench_ids(false)
end

function request()
    i = i + 1
    return wrk.format("POST", "/v1/cases/" .. ids[(i - 1) % #ids + 1] .. "/transitions", headers, body)
end
