-- tests/bench/api-lib.lua - shared by the api-*.lua wrk scripts (loaded with
-- dofile from $BENCH_DIR): counts responses per status class across threads,
-- and loads the id list a script works through. done() prints the line
-- tests/bench/api.sh parses:
--   BENCH responses=<n> non2xx=<n> socket_errors=<n> statuses=<code>:<n>,...

-- every request carries the benchmark's API key ($BENCH_KEY); scripts that pass
-- their own headers add bench_auth to them
bench_auth = "Bearer " .. assert(os.getenv("BENCH_KEY"), "BENCH_KEY unset")
wrk.headers["Authorization"] = bench_auth

local threads = {}
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("tid", nthreads)
    table.insert(threads, thread)
end

-- ids(): this thread's share of the ids in $BENCH_IDS (one a line): every
-- BENCH_THREADS-th line, starting at line tid, so no two threads share one
function bench_ids(all)
    local f = assert(io.open(assert(os.getenv("BENCH_IDS"), "BENCH_IDS unset"), "r"))
    local n = tonumber(os.getenv("BENCH_THREADS") or "2")
    local out, i = {}, 0
    for line in f:lines() do
        if all or i % n == tid - 1 then
            out[#out + 1] = line
        end
        i = i + 1
    end
    f:close()
    return out
end

responses = 0
non2xx = 0

-- one global per status code (s200, s412, ...), read back by done()
function response(status, headers, body)
    responses = responses + 1
    local name = "s" .. status
    _G[name] = (_G[name] or 0) + 1
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
        if non2xx <= 3 then
            io.stderr:write("non-2xx " .. status .. ": " .. (body or "") .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local n, bad, parts = 0, 0, {}
    for _, t in ipairs(threads) do
        n = n + t:get("responses")
        bad = bad + t:get("non2xx")
    end
    for code = 100, 599 do
        local k = 0
        for _, t in ipairs(threads) do
            k = k + (t:get("s" .. code) or 0)
        end
        if k > 0 then
            parts[#parts + 1] = code .. ":" .. k
        end
    end
    local e = summary.errors
    io.write(string.format("BENCH responses=%d non2xx=%d socket_errors=%d statuses=%s\n", n, bad,
        e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
