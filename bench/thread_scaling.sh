#!/usr/bin/env bash
# Thread scaling of the benchmarks: runs build/bench/osmo_bench at 1, 2, 4, … threads up to the
# machine's cores (and the core count itself) and prints, per benchmark, the time and the speed-up
# over one thread. Results must not depend on the thread count (tests/cli checks the images); this
# measures only the time.
#
# Usage: bench/thread_scaling.sh [--filter REGEX] [--max T]
#   --filter Google Benchmark filter (default 'BM_(Forward|Back)/[12]|BM_SolverIteration')
#   --max    the largest thread count (default: nproc)
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
filter='BM_(Forward|Back)/[12]|BM_SolverIteration' max="$(nproc)"
while (($#)); do
  case "$1" in
    --filter) filter="$2"; shift 2 ;;
    --max) max="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "thread_scaling: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f build/build.ninja ] || scripts/setup
cmake --build build --target osmo_bench >/dev/null
counts=()
for ((t = 1; t < max; t *= 2)); do counts+=("$t"); done
counts+=("$max")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for t in "${counts[@]}"; do
  echo "== $t thread(s)"
  OMP_NUM_THREADS="$t" build/bench/osmo_bench --benchmark_filter="$filter" \
    --benchmark_format=json >"$out/$t.json" 2>/dev/null
done
/usr/bin/python3 - "$out" "${counts[@]}" <<'PYTHON'
import json, sys
folder, counts = sys.argv[1], sys.argv[2:]
table = {}
for t in counts:
    for b in json.load(open(f"{folder}/{t}.json"))["benchmarks"]:
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b.get("time_unit", "ns")]
        table.setdefault(b["name"], {})[t] = b["real_time"] * scale
print(f"\n{'benchmark':40s}" + "".join(f"{t + ' thr (s)':>12s}{'×':>6s}" for t in counts))
for name, row in table.items():
    one = row[counts[0]]
    print(f"{name:40s}" + "".join(f"{row[t]:12.4f}{one / row[t]:6.2f}" for t in counts))
PYTHON
