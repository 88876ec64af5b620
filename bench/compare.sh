#!/usr/bin/env bash
# A change's cost beside noise: the same benchmark scripts on an earlier revision and on this working tree, back to
# back on the same machine.
#   bench/compare.sh REV [script ...]      (default scripts: run.sh submit.sh next.sh; ROUNDS=1; DURATION=15s)
# Each round runs every script at REV (in a temporary git worktree) and here; odd rounds run REV first, even rounds
# this tree first, so that a machine warming up or cooling down does not always favour one side. Both tables of every
# run go to bench/out/compare.md; the runs on this tree also rewrite their sections of docs/benchmarks.md, as the
# scripts always do. Traffic stays on 127.0.0.1; every script stops by itself.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
REV=${1:?usage: bench/compare.sh REV [script ...]}
shift
if [ $# -gt 0 ]; then SCRIPTS=("$@"); else SCRIPTS=(run.sh submit.sh next.sh); fi
ROUNDS=${ROUNDS:-1}
export DURATION=${DURATION:-15s}
OUT="$BENCH_DIR/out"; mkdir -p "$OUT"
BASE_TREE=$(mktemp -d /tmp/hephaestus-compare.XXXXXX)
git -C "$REPO" worktree add -q --detach "$BASE_TREE" "$REV"
trap 'git -C "$REPO" worktree remove --force "$BASE_TREE"' EXIT
REPORT="$OUT/compare.md"
echo "# $REV (before) and $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet || echo '+changes') (after), DURATION=$DURATION" > "$REPORT"

run_side() { # side tree script round
  local log="$OUT/compare-$1-${3%.sh}-$4.log"
  echo "== $1 $3 round $4 $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$REPORT"
  (cd "$2" && bash "bench/$3") > "$log" 2>&1 || { echo "failed: see $log" | tee -a "$REPORT"; return 1; }
  grep -E '^\|' "$log" >> "$REPORT" || true
}

for round in $(seq 1 "$ROUNDS"); do
  for script in "${SCRIPTS[@]}"; do
    if [ $((round % 2)) -eq 1 ]; then
      run_side before "$BASE_TREE" "$script" "$round"; run_side after "$REPO" "$script" "$round"
    else
      run_side after "$REPO" "$script" "$round"; run_side before "$BASE_TREE" "$script" "$round"
    fi
  done
done
echo "Tables: $REPORT"
