#!/usr/bin/env bash
# Runs binlog-conformance in simulator mode (--sim-seed: the simulator's seeded world, then
# every check in process against its nodes at the quiescent point, no sockets) for each
# given seed with every profile: smoke, portable, upstream-exact, disruptive. Each profile
# gets a fresh world (the disruptive one shuts nodes down). Reports go to $REPORT_DIR
# (default: a temporary directory, removed at the end unless KEEP=1).
#
# Usage: conformance/run_against_sim.sh BUILD_DIR SEED... [-- EXTRA binlog-conformance ARGS]
# Exit status: 0 when every run passed (the suite and the simulated world's own checkers),
# else 1; 2 for a usage error.
set -euo pipefail

BUILD_DIR=${1:?usage: run_against_sim.sh BUILD_DIR SEED... [-- ARGS]}
shift
SEEDS=()
while [[ $# -gt 0 && "$1" != "--" ]]; do SEEDS+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
EXTRA=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || { echo "no seed given" >&2; exit 2; }
SUITE="$BUILD_DIR/bin/binlog-conformance"
[[ -x "$SUITE" ]] || { echo "missing $SUITE (build it first)" >&2; exit 2; }
SOURCE_DIR=$(cd "$(dirname "$0")/.." && pwd)
LEDGER="$SOURCE_DIR/conformance/ledger/reference.json"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/binlog-conformance-sim.XXXXXX")
REPORT_DIR=${REPORT_DIR:-$WORK}
cleanup() { if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

status=0
for seed in "${SEEDS[@]}"; do
  for profile in smoke portable upstream-exact disruptive; do
    report="$REPORT_DIR/seed$seed.$profile.txt"
    if ! "$SUITE" --sim-seed "$seed" --profile "$profile" --ledger "$LEDGER" "${EXTRA[@]}" \
        --junit "$REPORT_DIR/seed$seed.$profile.junit.xml" >"$report"; then
      status=1
      grep -A6 -e '^--- FAIL' -e '^--- XPASS' -e '^error' "$report" || true
    fi
    echo "seed $seed $profile: $(tail -n 1 "$report")"
  done
done
# One closing line over every run, as CI reads it.
for f in "$REPORT_DIR"/seed*.txt; do tail -n 1 "$f"; done |
  awk '{p += $1; f += $3; s += $5} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}'
exit $status
