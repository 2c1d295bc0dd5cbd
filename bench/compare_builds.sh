#!/usr/bin/env bash
# Projector (and FBP/solver) speed of the working tree against another commit, run interleaved so
# that machine drift hits both alike: builds REF's osmo_bench in a git worktree
# (build-compare/), then alternates the two binaries for N rounds and prints, per benchmark, the
# minimum time of each and the ratio. A ratio above 1.05 is flagged as a possible regression
# (this VM's run-to-run noise is about ±5 % of the minimum; docs/BENCHMARKS.md).
#
# Usage: bench/compare_builds.sh [REF] [--rounds N] [--filter REGEX] [--threads T]
#   REF      the commit to compare with (default HEAD~1)
#   --rounds alternations (default 3)
#   --filter Google Benchmark filter (default: the 2D forward and back cases,
#            'BM_(Forward|Back)/[12]'; 'BM_' runs everything, cone 256³ included)
#   --threads OpenMP threads for both (default: all cores)
# Writes build-compare/results.json (every run's times) besides the table.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
ref=HEAD~1 rounds=3 filter='BM_(Forward|Back)/[12]' threads=""
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "compare_builds: unknown option $1" >&2; exit 2 ;;
    *) ref="$1"; shift ;;
  esac
done
base_commit="$(git rev-parse --verify "$ref^{commit}")"
work=build-compare
mkdir -p "$work"

echo "== building the working tree (build/) and $ref = ${base_commit:0:10} ($work/)"
[ -f build/build.ninja ] || scripts/setup
cmake --build build --target osmo_bench >/dev/null
if [ ! -d "$work/src" ]; then
  git worktree add --detach "$work/src" "$base_commit" >/dev/null
else
  git -C "$work/src" checkout --quiet --detach "$base_commit"
fi
cmake -S "$work/src" -B "$work/build" -G Ninja --no-warn-unused-cli -DCMAKE_BUILD_TYPE=Release \
  -DOSMO_BUILD_TESTS=OFF \
  -DOSMO_BUILD_PYTHON=OFF >/dev/null
cmake --build "$work/build" --target osmo_bench >/dev/null

[ -n "$threads" ] && export OMP_NUM_THREADS="$threads"
runs=()
for ((round = 1; round <= rounds; round++)); do
  for which in base current; do
    binary=build/bench/osmo_bench
    [ "$which" = base ] && binary="$work/build/bench/osmo_bench"
    out="$work/$which-$round.json"
    echo "== round $round/$rounds: $which"
    "$binary" --benchmark_filter="$filter" --benchmark_format=json >"$out" 2>/dev/null
    runs+=("$which=$out")
  done
done

/usr/bin/python3 - "$work/results.json" "$ref" "${runs[@]}" <<'PYTHON'
import json, sys
out, ref, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
times = {"base": {}, "current": {}}
for run in runs:
    which, path = run.split("=", 1)
    for b in json.load(open(path))["benchmarks"]:
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b.get("time_unit", "ns")]
        times[which].setdefault(b["name"], []).append(b["real_time"] * scale)
json.dump(times, open(out, "w"), indent=1)
names = [n for n in times["current"] if n in times["base"]]
print(f"\n{'benchmark':42s} {ref + ' (s)':>14s} {'now (s)':>10s} {'now/base':>9s}")
for name in names:
    base, now = min(times["base"][name]), min(times["current"][name])
    flag = "  ← slower?" if now / base > 1.05 else ("  faster" if now / base < 0.95 else "")
    print(f"{name:42s} {base:14.4f} {now:10.4f} {now / base:9.3f}{flag}")
only = sorted(set(times["current"]) ^ set(times["base"]))
if only:
    print("in one build only:", ", ".join(only))
PYTHON
