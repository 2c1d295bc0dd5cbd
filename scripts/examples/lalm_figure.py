#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""os-lalm against os-ogm2 after 10 iterations at 24 subsets: the converged image x̂ of the
convergence study and each method's error to it (docs/BENCHMARKS.md, "OS-LALM").
Usage (after bench/convergence_study made OUT_DIR/xhat.f32):
  PYTHONPATH=build/python /usr/bin/python3 scripts/examples/lalm_figure.py \
      out/study docs/images/lalm_vs_ogm2.png"""
import sys

import osmo
from study_figures import PROTOCOL, error_panel, hu, load_study, save_panels


def main(study, output):
    scan, xhat, mask = load_study(study)
    panels = [("x̂ (converged)", hu(xhat), (-200, 200))]
    for algorithm, iterations in (("os-ogm2", 10), ("os-lalm", 10), ("os-lalm", 20)):
        image, _ = osmo.reconstruct(scan, algorithm=algorithm, iterations=iterations, subsets=24,
                                    **PROTOCOL)
        panels.append(error_panel(image, xhat, mask, f"{algorithm}, {iterations} it."))
    save_panels(panels, "24 subsets, ge1-half thorax (I0 = 1e4): error to x̂, window ±10 HU",
                output)


if __name__ == "__main__":
    main(*sys.argv[1:3])
