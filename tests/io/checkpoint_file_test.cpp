// Checkpoint files: the convergence certificate's reference survives a round trip, and a
// checkpoint written before it existed (no initial_gradient_norm attribute) still resumes.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/checkpoint_file.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>

#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

TEST(CheckpointFile, CertificateReferenceRoundTripsAndOldFilesStillRead) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "osmo_checkpoint_certificate.h5").string();
  const ImageGeometry grid = testing::SquareImage(8, 1.0);
  SolverState state;
  state.iteration = 3;
  state.x = state.z = Image(grid, 0.01f);
  state.initial_cost = 12.5;
  state.initial_gradient_norm = 0.75;
  WriteCheckpoint(path, state, "fingerprint");
  EXPECT_EQ(ReadCheckpoint(path, "fingerprint", grid).initial_gradient_norm, 0.75);

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  ASSERT_GE(H5Adelete(file, "initial_gradient_norm"), 0);
  H5Fclose(file);
  const SolverState old = ReadCheckpoint(path, "fingerprint", grid);
  EXPECT_TRUE(std::isnan(old.initial_gradient_norm));  // computed afresh when resumed
  EXPECT_EQ(old.iteration, 3);
  EXPECT_EQ(old.initial_cost, 12.5);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace osmo
