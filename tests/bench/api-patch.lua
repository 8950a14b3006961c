-- tests/bench/api-patch.lua - wrk: PATCH /v1/cases/{id} (JSON Merge Patch,
-- If-Match "1"): each request patches the next case of this thread's share of
-- $BENCH_IDS (reported cases at version 1), each case once; past the end of
-- the list the answers would be 412s.
dofile(os.getenv("BENCH_DIR") .. "/api-lib.lua")

local ids, i = nil, 0
local headers = {["Content-Type"] = "application/merge-patch+json", ["If-Match"] = '"1"',
    ["Authorization"] = bench_auth}
local body = '{"owner":"network-team"}'

function init(args)
    ids = bench_ids(false)
end

function request()
    i = i + 1
    return wrk.format("PATCH", "/v1/cases/" .. ids[(i - 1) % #ids + 1], headers, body)
end
