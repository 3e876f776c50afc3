#!/usr/bin/env bash
# Side by side on one machine: SPIN (../shared/baselines/spin, Debian's `spin`) and
# pagerace on prep-race, K=1 (order-1 head block), N stale putters = pagerace --cpus N+1.
#   bench/spin_side_by_side.sh [NMAX]        (needs `spin` and gcc: apt-get install spin)
# SPIN_BASELINE: the baseline folder, by default ../shared/baselines/spin beside the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spin_dir=$(cd "${SPIN_BASELINE:-$here/../../shared/baselines/spin}" && pwd)
nmax=${1:-3}
out=$(mktemp)
echo "| N putters | SPIN verify (FIXED=1, dfs) states / wall | SPIN bug (FIXED=0, dfs) wall | pagerace prep-fix executions / wall | pagerace v3.13 executions / wall |"
echo "|---|---|---|---|---|"
for n in $(seq 1 "$nmax"); do
  OUT=$out "$spin_dir/run.sh" one prep_race.pml dfs 1 "$n" -DFIXED=1 >/dev/null 2>&1
  OUT=$out "$spin_dir/run.sh" one prep_race.pml dfs 1 "$n" -DFIXED=0 >/dev/null 2>&1
  ok=$(grep 'FIXED=1' "$out" | tail -1 | awk -F'\t' '{print $11 " states / " $20 " s"}')
  bug=$(grep 'FIXED=0' "$out" | tail -1 | awk -F'\t' '{print $7 " " $20 " s"}')
  pr=$(python3 - "$((n + 1))" <<'PY'
import sys, time
from pagerace.explore import Options, explore
from pagerace.scenarios.catalogue import scenario
cpus = int(sys.argv[1]); sc = scenario("prep-race"); cells = []
for variant in ("prep-fix", "v3.13"):
    t = time.perf_counter()
    r = explore(sc.program(variant, {"cpus": cpus}), Options(shrink=False))
    cells.append(f"{r.verdict}: {r.stats.executions:,} / {time.perf_counter() - t:.2f} s")
print(" | ".join(cells))
PY
)
  echo "| $n | $ok | $bug | $pr |"
done
rm -f "$out"
