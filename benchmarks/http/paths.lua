-- wrk script for benchmarks/run_http_bench.sh: each request is a GET of a path drawn
-- uniformly at random from a file that http-bench-server wrote (lookup.paths,
-- lookup-const.paths, status.paths, status-const.paths).
--
--   wrk -t1 -c32 -d8s --latency -s paths.lua http://127.0.0.1:PORT -- FILE SEED [check]
--
-- Every route of a comparison goes through this same script, so the client pays the same
-- Lua cost per request on both sides (PERFORMANCE.md §3b: Lua request() costs wrk ~10%).
-- Requests are formatted once in init(), as wrk's SCRIPTING advises, so request() is one
-- random pick. Seeding each thread alike makes a run's path sequence reproducible.
--
-- "check" (the smoke test) also defines response(), which makes wrk parse every response:
-- a status other than 200, or a /debug/binlog body that reports a failed lookup (upstream
-- answers those with 200), counts as bad. Without it wrk skips parsing, as in the benchmark.
--
-- done() prints one machine-readable line for the driver script:
--   BENCH_RESULT requests=N duration_us=N rps=X p50_us=N p99_us=N errors=N bad=N|-

local requests = {}
local count = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function check_response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or body:find("^fail read binlog") or body:find("^invalid parameter") then
    bad = bad + 1
  end
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open paths file " .. tostring(args[1]))
  for path in file:lines() do
    if path ~= "" then
      count = count + 1
      requests[count] = wrk.format("GET", path)
    end
  end
  file:close()
  assert(count > 0, "no paths in " .. args[1])
  math.randomseed(tonumber(args[2] or "1"))
  if args[3] == "check" then
    checked = 0
    bad = 0
    response = check_response
  end
end

function request()
  return requests[math.random(count)]
end

function done(summary, latency, _)
  local errors = summary.errors
  local error_count = errors.connect + errors.read + errors.write + errors.status +
                      errors.timeout
  local bad_total, checked_total = nil, 0
  for _, thread in ipairs(threads) do
    local thread_bad = thread:get("bad")
    if thread_bad ~= nil then
      bad_total = (bad_total or 0) + thread_bad
      checked_total = checked_total + thread:get("checked")
    end
  end
  -- Requests that were sent but never answered are not "checked": count them as bad too.
  if bad_total ~= nil and checked_total < summary.requests then
    bad_total = bad_total + (summary.requests - checked_total)
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d errors=%d bad=%s\n",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(99), error_count,
      bad_total == nil and "-" or tostring(bad_total)))
end
