-- tests/bench/api-list.lua - wrk: GET $BENCH_LIST_PATH (a filtered, searched
-- list; the same request every time).
dofile(os.getenv("BENCH_DIR") .. "/api-lib.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_LIST_PATH")
