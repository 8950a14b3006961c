-- tests/bench/api-get.lua - wrk: GET /v1/cases/{id}, a random id of $BENCH_IDS.
dofile(os.getenv("BENCH_DIR") .. "/api-lib.lua")

local ids
function init(args)
    ids = bench_ids(true)
    math.randomseed(os.time() + tid * 7919)
end

function request()
    return wrk.format("GET", "/v1/cases/" .. ids[math.random(#ids)])
end
