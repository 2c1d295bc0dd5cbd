#!/usr/bin/env bash
# Instructions per voxel-view of the projectors and FDK, counted by valgrind's callgrind on one
# thread: the *EightViews benchmarks (each case through 8 of its views) with only the projection
# or reconstruction call counted. Counts are deterministic for a given binary and input, whatever
# else the machine is doing, so they compare builds where this VM's timings drift by ±10 %.
# docs/BENCHMARKS.md (Roofline) divides them by the measured cycles per voxel-view.
#
# Usage: bench/instruction_counts.sh [--filter REGEX]
#   --filter which benchmarks (default 'EightViews': BM_ForwardEightViews/1–4,
#            BM_BackEightViews/1–4, BM_FdkEightViews); each takes 1–3 minutes under valgrind
# Prints, per benchmark, the instructions per voxel-view and the functions above 2 % of them.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
filter='EightViews'
while (($#)); do
  case "$1" in
    --filter) filter="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "instruction_counts: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "instruction_counts: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
[ -f build/build.ninja ] || scripts/setup
cmake --build build --target osmo_bench >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# (The pattern must not match the OpenMP region outlined from the same function, "… const
# [clone ._omp_fn.0]": entering it would toggle the collection off again.)
mapfile -t names < <(build/bench/osmo_bench --benchmark_list_tests --benchmark_filter="$filter")
for name in "${names[@]}"; do
  file="$out/$(echo "$name" | tr '/' '_')"
  case "$name" in  # the one call to count (one pattern per run: with several, none counted)
    *Forward*) call='osmo::Sf*Projector::Forward(*) const' ;;
    *Back*) call='osmo::Sf*Projector::Back(*) const' ;;
    *) call='osmo::FilteredBackprojection(*)' ;;
  esac
  OMP_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$file.cg" --toggle-collect="$call" \
    build/bench/osmo_bench --benchmark_filter="^$name\$" --benchmark_format=json \
    >"$file.json" 2>"$file.log"
  voxel_views="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["benchmarks"][0]["voxel_views"])' "$file.json")"
  callgrind_annotate --threshold=100 "$file.cg" >"$file.txt" 2>/dev/null
  /usr/bin/python3 - "$name" "$voxel_views" "$file.txt" <<'PY'
import re, sys
name, voxel_views, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
total, functions = None, []
for line in open(path):
    m = re.match(r"\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS", line)
    if m:
        total = int(m.group(1).replace(",", ""))
        continue
    # "<count> (<share>) <file>:<function> [<object>]", the file "???" without debug information
    m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?[^:\s]*:(?!:)(.*)$", line)
    if m and total:
        function = m.group(2).replace("(anonymous namespace)::", "").replace("osmo::", "")
        function = re.sub(r"\(.*", "", function)
        functions.append((int(m.group(1).replace(",", "")), function.strip()))
print(f"{name}: {total / voxel_views:.1f} instructions per voxel-view")
for count, function in functions:
    if count >= 0.02 * total:
        print(f"  {100 * count / total:5.1f} %  {count / voxel_views:5.1f}  {function}")
PY
done
