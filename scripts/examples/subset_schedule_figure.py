#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Where the adaptive subset schedule's gain sits: the converged image x̂ of the convergence study
and the error after 10 and 30 iterations of os-ogm2 with 24 subsets, M fixed vs adaptive.
Usage (after bench/convergence_study made OUT_DIR/xhat.f32, docs/BENCHMARKS.md):
  PYTHONPATH=build/python /usr/bin/python3 scripts/examples/subset_schedule_figure.py \
      out/study docs/images/subset_schedule.png"""
import sys

import osmo
from study_figures import PROTOCOL, error_panel, hu, load_study, save_panels


def main(study, output):
    scan, xhat, mask = load_study(study)
    panels = [("x̂ (converged)", hu(xhat), (-200, 200))]
    for schedule in ("fixed", "adaptive"):
        for iterations in (10, 30):
            image, _ = osmo.reconstruct(scan, iterations=iterations, subset_schedule=schedule,
                                        subsets=24, **PROTOCOL)
            panels.append(error_panel(image, xhat, mask, f"M {schedule}, {iterations} it."))
    save_panels(panels,
                "os-ogm2, 24 subsets, ge1-half thorax (I0 = 1e4): error to x̂, window ±10 HU",
                output)


if __name__ == "__main__":
    main(*sys.argv[1:3])
