#!/usr/bin/python3
"""Issue #14's criterion on the real HTC 2022 disc: default `osmo recon` has at most half the noise
of default `osmo fbp` at an edge at least as sharp (scripts/image_quality.py's measures).

Converts the full-angle scan with scripts/examples/mat_to_scan.py, reconstructs it both ways with
default options, prints both measures as JSON and exits 1 when the criterion fails, 77 (skipped)
when the data set is not there.

Usage: /usr/bin/python3 scripts/real_data_check.py OSMO_BINARY REAL_DATA_DIR WORK_DIR
SPDX-License-Identifier: Apache-2.0
"""
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from image_quality import quality  # noqa: E402

SKIPPED = 77


def run(command):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stderr}")
    return result


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    osmo, data, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    mat = data / "htc2022-ta" / "htc2022_ta_full_and_limited_a_1.mat"
    if not mat.exists():
        print(f"skipped: {mat} not found")
        return SKIPPED
    work.mkdir(parents=True, exist_ok=True)
    scan = work / "htc.h5"
    run([sys.executable, HERE / "examples" / "mat_to_scan.py", "htc", mat, scan])
    run([osmo, "fbp", scan, "-o", work / "fbp.mha"])
    notes = run([osmo, "recon", scan, "-o", work / "pwls.mha", "-v", "--progress", "off"]).stderr
    fbp, pwls = quality(str(work / "fbp.mha")), quality(str(work / "pwls.mha"))
    print(json.dumps(fbp))
    print(json.dumps(pwls))
    print("".join(line + "\n" for line in notes.splitlines() if "β =" in line or "δ =" in line))
    failures = []
    if not pwls["noise"] <= 0.5 * fbp["noise"]:
        failures.append(f"PWLS noise {pwls['noise']:.3g} > half of FBP's {fbp['noise']:.3g}")
    if not pwls["edge_10_90_mm"] <= fbp["edge_10_90_mm"]:
        failures.append(f"PWLS edge {pwls['edge_10_90_mm']:.3g} mm wider than FBP's "
                        f"{fbp['edge_10_90_mm']:.3g} mm")
    for failure in failures:
        print("FAILED:", failure)
    if not failures:
        print(f"passed: noise {pwls['noise'] / fbp['noise']:.2f} × FBP's, edge "
              f"{pwls['edge_10_90_mm']:.3f} mm against FBP's {fbp['edge_10_90_mm']:.3f} mm")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
