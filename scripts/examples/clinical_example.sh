#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The clinical-data path end to end on a synthetic scan (docs/CLINICAL_DATA.md): a DICOM-CT-PD
# folder with the published L067 header values (736 × 64 cells, 2304 views per turn, pitch 0.6,
# z flying focal spot, quarter dose) of the thorax-3d phantom; `osmo import` of the views an 8 mm
# slab needs; FBP to a DICOM series; docs/images/clinical_example.png from the series. With
# --pwls also PWLS (356² × 7 output, solved on 99 slices): over an hour on 2 cores (the
# preparation took 22 min and one iteration over 12 min there; docs/CLINICAL_DATA.md).
# Usage: scripts/examples/clinical_example.sh [--pwls] [WORK_FOLDER]   (about 4 GB in WORK_FOLDER)
set -euo pipefail
cd "$(dirname "$0")/../.."
pwls=0
if [ "${1:-}" = --pwls ]; then pwls=1; shift; fi
work=${1:-out/clinical}
osmo=build/recon/cli/osmo
mkdir -p "$work"
cmake --build build --target osmo osmo_ctpd_write osmo_python >/dev/null

[ -d "$work/projections" ] || build/bench/osmo_ctpd_write -o "$work/projections" --turns 3
time "$osmo" import "$work/projections" -o "$work/slab.h5" --z-range-mm -4:4
"$osmo" info "$work/slab.h5"
time "$osmo" fbp "$work/slab.h5" -o "$work/fbp/"
panels=("FBP 712² × 13 (0.70 mm)=$work/fbp")
if ((pwls)); then
  time "$osmo" recon "$work/slab.h5" -o "$work/pwls/" --image-size 356,356,7 \
    --voxel-size-mm 1.40726842,1.2 --subsets 24 --iterations 4 --log "$work/pwls.jsonl"
  panels+=("PWLS 4 it, 356² × 7 (1.41 mm)=$work/pwls")
fi
PYTHONPATH=build/python /usr/bin/python3 scripts/examples/clinical_panel.py thorax-3d 0 \
  docs/images/clinical_example.png "${panels[@]}"
