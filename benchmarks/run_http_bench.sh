#!/usr/bin/env bash
# HTTP load benchmark, PERFORMANCE.md §6 L1/L2: GET /debug/binlog/{random existing ts} and
# GET /status of a reference pump, each against a constant route of the same body size in the
# same server in the same run (benchmarks/README.md, "HTTP").
#
#   benchmarks/run_http_bench.sh BUILD_DIR           # the benchmark (builds nothing)
#   benchmarks/run_http_bench.sh --smoke BUILD_DIR   # harness check (ctest http_bench_smoke)
#
# BUILD_DIR holds bin/http-bench-server (a Release build for figures). Protocol: the server
# pinned to HTTP_BENCH_SERVER_CPU (0), wrk -t1 -c32 to HTTP_BENCH_LOAD_CPU (1) with taskset;
# one warm-up pass over every route; then, per comparison, HTTP_BENCH_REPETITIONS (2) pairs
# (constant route, real route) = A/B/A/B; the figures are the median ratios over the pairs.
# L1: req/s real / const >= 0.65. L2: p99 real / const <= 1.5, measured by wrk at a fixed
# connection count (wrk2's -R is not packaged in Debian): wrk is closed-loop, so coordinated
# omission applies: a stalled response delays the requests behind it instead of being charged
# to them, and p99 understates the tail an open-loop client would see.
#
# Environment (defaults for the benchmark; --smoke uses tiny ones):
#   HTTP_BENCH_DATA_DIR     store, kept and reused between runs (${TMPDIR:-/tmp}/binlog-http-bench)
#   HTTP_BENCH_BINLOGS      binlogs in the store (1000000)
#   HTTP_BENCH_SAMPLE       random existing ts in the lookup path list (100000)
#   HTTP_BENCH_DURATION     wrk -d per measured run (8s); HTTP_BENCH_WARMUP per route (5s)
#   HTTP_BENCH_CONNECTIONS  wrk -c (32); HTTP_BENCH_THREADS wrk -t (1)
#   HTTP_BENCH_REPETITIONS  A/B pairs per comparison (2)
#   HTTP_BENCH_SERVER_CPU / HTTP_BENCH_LOAD_CPU   taskset CPUs (0 / 1; "" to not pin)
#   HTTP_BENCH_READY_SECONDS  how long to wait for the server (3600: the first 1M build)
#
# Needs: wrk, taskset (util-linux), awk.
set -euo pipefail

usage() { echo "usage: $0 [--smoke] BUILD_DIR" >&2; exit 2; }
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
[ $# -eq 1 ] || usage
build="$(cd "$1" && pwd)"
repo="$(cd "$(dirname "$0")/.." && pwd)"
server_bin="$build/bin/http-bench-server"
lua="$repo/benchmarks/http/paths.lua"
[ -x "$server_bin" ] || { echo "no $server_bin (build target http-bench-server)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (ci/setup)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/http-bench-run.XXXXXX")"
if [ "$smoke" = 1 ]; then
  data_dir="$work/data"; binlogs=3000; sample=300; duration=1s; warmup=""; repetitions=1
  connections=8; threads=1; server_cpu=""; load_cpu=""; ready_seconds=120; check=check
else
  data_dir="${HTTP_BENCH_DATA_DIR:-${TMPDIR:-/tmp}/binlog-http-bench}"
  binlogs="${HTTP_BENCH_BINLOGS:-1000000}"; sample="${HTTP_BENCH_SAMPLE:-100000}"
  duration="${HTTP_BENCH_DURATION:-8s}"; warmup="${HTTP_BENCH_WARMUP:-5s}"
  repetitions="${HTTP_BENCH_REPETITIONS:-2}"
  connections="${HTTP_BENCH_CONNECTIONS:-32}"; threads="${HTTP_BENCH_THREADS:-1}"
  server_cpu="${HTTP_BENCH_SERVER_CPU-0}"; load_cpu="${HTTP_BENCH_LOAD_CPU-1}"
  ready_seconds="${HTTP_BENCH_READY_SECONDS:-3600}"; check=""
fi
out="$work/out"
results="$work/results.tsv"

pinned() {  # pinned CPU: the taskset prefix for CPU, none when CPU is ""
  if [ -n "$1" ]; then echo "taskset -c $1"; fi
}

server_pid=""
# Stops the server (TERM: the pump pauses and closes its store) and fails the run if it did
# not exit cleanly.
cleanup() {
  local rc=$? server_rc=0
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || server_rc=$?
  fi
  if [ "$server_rc" != 0 ]; then
    echo "http-bench-server exited with status $server_rc" >&2
    tail -5 "$work/server.log" >&2
    rc=1
  fi
  if [ "$smoke" = 1 ]; then rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT

start_server() {
  # Not through a function: $! must be the server itself (taskset execs it), so that the
  # TERM in cleanup reaches it and it closes its store.
  $(pinned "$server_cpu") "$server_bin" --data-dir "$data_dir" --out-dir "$out" \
    --binlogs "$binlogs" --sample "$sample" >"$work/server.log" 2>&1 &
  server_pid=$!
  local waited=0
  until [ -f "$out/port" ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$work/server.log" >&2; echo "http-bench-server died" >&2; exit 1
    fi
    [ "$waited" -lt $((ready_seconds * 10)) ] || { echo "server not ready" >&2; exit 1; }
    sleep 0.1; waited=$((waited + 1))
  done
  port="$(cat "$out/port")"
}

# run_wrk NAME DURATION: one wrk run over $out/NAME.paths; prints its BENCH_RESULT fields.
run_wrk() {
  local name="$1" length="$2" log; log="$(mktemp "$work/wrk-$1.XXXXXX")"
  $(pinned "$load_cpu") wrk -t"$threads" -c"$connections" -d"$length" --latency -s "$lua" \
    "http://127.0.0.1:$port" -- "$out/$name.paths" 1 $check >"$log" 2>&1 ||
    { cat "$log" >&2; echo "wrk failed on $name" >&2; exit 1; }
  local line; line="$(grep '^BENCH_RESULT ' "$log")" || { cat "$log" >&2; exit 1; }
  echo "${line#BENCH_RESULT }"
}

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# CPU time the server has used so far (user + system, in clock ticks; /proc/PID/stat fields
# 14 and 15, counted after the parenthesised command name).
server_cpu_ticks() { sed 's/.*) //' "/proc/$server_pid/stat" | awk '{ print $12 + $13 }'; }
clock_ticks_per_second="$(getconf CLK_TCK)"

# measure ROUTE REP: one run, appended to results.tsv as route rep rps p50 p99 errors bad
# cpu_us, the last being the server's CPU time per request. Unlike req/s, CPU per request
# hardly moves when other processes compete for the server's core, so its ratio is printed
# too (for information: the gates are the req/s and p99 ratios).
measure() {
  local before after r cpu_us
  before="$(server_cpu_ticks)"
  r="$(run_wrk "$1" "$duration")"
  after="$(server_cpu_ticks)"
  cpu_us="$(awk -v t="$((after - before))" -v hz="$clock_ticks_per_second" \
    -v n="$(field "$r" requests)" 'BEGIN { printf "%.1f", (n > 0) ? t * 1e6 / hz / n : 0 }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field "$r" rps)" \
    "$(field "$r" p50_us)" "$(field "$r" p99_us)" "$(field "$r" errors)" "$(field "$r" bad)" \
    "$cpu_us" >>"$results"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_server
grep -E "store built|body bytes|handler CPU" "$work/server.log" || true
if [ -n "$warmup" ]; then
  for name in lookup-const lookup status-const status; do run_wrk "$name" "$warmup" >/dev/null; done
fi
: >"$results"
for rep in $(seq "$repetitions"); do
  for pair in lookup status; do
    measure "$pair-const" "$rep"
    measure "$pair" "$rep"
  done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$smoke" = 0 ]; then echo "server log, wrk outputs and path files: $work"; fi

printf '\nroute\trep\treq/s\tp50_us\tp99_us\terrors\tbad\tcpu_us/req\n'; cat "$results"
# Per pair: ratios of the real route to its constant route; medians over the repetitions.
awk -F'\t' -v smoke="$smoke" '
  function median(list, n,   sorted, i, j, t) {
    for (i = 1; i <= n; i++) sorted[i] = list[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) {
      t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t }
    return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
  }
  { rps[$1, $2] = $3; p99[$1, $2] = $5; cpu[$1, $2] = $8; reps[$2] = 1
    if ($6 != 0 || ($7 != "-" && $7 != 0) || $3 <= 0) { failed = failed " " $1 "#" $2 } }
  END {
    printf "\n%-8s %12s %12s %8s %8s %16s\n", "pair", "L1 req/s", "L2 p99", "L1 goal",
           "L2 goal", "CPU const/real"
    for (p = 1; p <= 2; p++) {
      pair = (p == 1) ? "lookup" : "status"; n = 0
      for (rep in reps) { n++; r1[n] = rps[pair, rep] / rps[pair "-const", rep]
                          r2[n] = p99[pair, rep] / p99[pair "-const", rep]
                          r3[n] = (cpu[pair, rep] > 0) ? cpu[pair "-const", rep] / cpu[pair, rep] : 0 }
      m1 = median(r1, n); m2 = median(r2, n); m3 = median(r3, n)
      l1 = (m1 >= 0.65) ? "met" : "MISSED"; l2 = (m2 <= 1.5) ? "met" : "MISSED"
      printf "%-8s %11.3fx %11.3fx %8s %8s %15.3fx\n", pair, m1, m2, l1, l2, m3
    }
    print "(median over the A/B pairs of real/const; goals L1 >= 0.65x, L2 <= 1.5x;"
    print " CPU const/real: server CPU per request, const over real, for information)"
    if (smoke) print "(smoke run: tiny store, 1 s runs, unpinned: the ratios mean nothing)"
    if (failed != "") { print "runs with errors, non-200 or failed lookups:" failed; exit 1 }
  }' "$results"
