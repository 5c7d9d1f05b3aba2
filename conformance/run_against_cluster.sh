#!/usr/bin/env bash
# Starts the reference cluster (build/bin/binlog-cluster: 3 pumps, 1 drainer, a workload)
# on loopback with ephemeral ports in a temporary directory, runs binlog-conformance against
# it over real sockets with every profile (smoke, portable, upstream-exact, then disruptive,
# which shuts nodes down, last), and stops the cluster. Reports go to $REPORT_DIR (default:
# the temporary directory, removed at the end unless KEEP=1).
#
# Usage: conformance/run_against_cluster.sh [BUILD_DIR]   (default: build)
# Exit status: 0 when every profile passed, else the first failing profile's status.
set -euo pipefail

BUILD_DIR=${1:-build}
CLUSTER="$BUILD_DIR/bin/binlog-cluster"
SUITE="$BUILD_DIR/bin/binlog-conformance"
SOURCE_DIR=$(cd "$(dirname "$0")/.." && pwd)
LEDGER="$SOURCE_DIR/conformance/ledger/reference.json"
# Bounds: how long the cluster may take to print its endpoints, and to settle before the
# checks (the drainer's first pump refresh runs after detect-interval, 5 s).
STARTUP_WAIT_SECONDS=30
WARM_UP_SECONDS=8

for binary in "$CLUSTER" "$SUITE"; do
  [[ -x "$binary" ]] || { echo "missing $binary (build it first)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/binlog-conformance.XXXXXX")
REPORT_DIR=${REPORT_DIR:-$WORK/reports}
mkdir -p "$REPORT_DIR"
CLUSTER_PID=""

cleanup() {
  if [[ -n "$CLUSTER_PID" ]] && kill -0 "$CLUSTER_PID" 2>/dev/null; then
    kill -TERM "$CLUSTER_PID" 2>/dev/null || true
    wait "$CLUSTER_PID" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

"$CLUSTER" --data-dir "$WORK/data" --pumps 3 --drainers 1 --pump-port 0 --drainer-port 0 \
  --admin-port 0 --write-rate 20 >"$WORK/endpoints.txt" 2>"$WORK/cluster.log" &
CLUSTER_PID=$!

for ((i = 0; i < STARTUP_WAIT_SECONDS * 10; i++)); do
  grep -q '^admin at ' "$WORK/endpoints.txt" 2>/dev/null && break
  kill -0 "$CLUSTER_PID" 2>/dev/null || { cat "$WORK/cluster.log" >&2; exit 2; }
  sleep 0.1
done
grep -q '^admin at ' "$WORK/endpoints.txt" || { echo "cluster did not start" >&2; exit 2; }

# "pump <id> at <host:port>" / "drainer <id> at <host:port>" lines.
read -r -a TARGETS <<<"$(awk '/^pump .* at /{printf "--pump http://%s ", $4}
                             /^drainer .* at /{printf "--drainer http://%s ", $4}' "$WORK/endpoints.txt")"
echo "targets: ${TARGETS[*]}"
sleep "$WARM_UP_SECONDS"

status=0
for profile in smoke portable upstream-exact disruptive; do
  echo "=== profile $profile"
  if ! "$SUITE" "${TARGETS[@]}" --profile "$profile" --ledger "$LEDGER" \
      --junit "$REPORT_DIR/$profile.junit.xml" --json "$REPORT_DIR/$profile.json" \
      >"$REPORT_DIR/$profile.txt"; then
    [[ $status -ne 0 ]] || status=1
    grep -A6 -e '^--- FAIL' -e '^--- XPASS' "$REPORT_DIR/$profile.txt" || true
  fi
  tail -n 1 "$REPORT_DIR/$profile.txt"
done
# One closing line over every profile, as CI reads it.
for profile in smoke portable upstream-exact disruptive; do tail -n 1 "$REPORT_DIR/$profile.txt"; done |
  awk '{p += $1; f += $3; s += $5} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}'
exit $status
