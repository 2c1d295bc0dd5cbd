// A complete PWLS problem for solver tests: grid, scan, projector, data y, weights w, prior and
// Ψ. The data start at zero; each test fills y and w in its own constructor.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "projectors/projector.h"
#include "recon/pwls_problem.h"
#include "recon/regularizer.h"

namespace osmo::testing {

struct PwlsCase {
  PwlsCase(const ImageGeometry& image, const ScanGeometry& scan_geometry,
           const RegularizerOptions& prior)
      : grid(image),
        scan(scan_geometry),
        projector(MakeProjector(grid, scan)),
        y(scan),
        w(scan),
        regularizer(grid, prior),
        problem(*projector, y, w, regularizer) {}
  PwlsCase(const PwlsCase&) = delete;  // `problem` refers to the members
  PwlsCase& operator=(const PwlsCase&) = delete;

  ImageGeometry grid;
  ScanGeometry scan;
  std::unique_ptr<Projector> projector;
  Sinogram y, w;
  Regularizer regularizer;
  PwlsProblem problem;
};

}  // namespace osmo::testing
