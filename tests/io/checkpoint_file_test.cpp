// Checkpoint files: the convergence certificate's reference and the adaptive subset schedule's
// state survive a round trip, and checkpoints written before they existed still resume.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/checkpoint_file.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "projectors/error.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

const ImageGeometry kGrid = testing::SquareImage(8, 1.0);

std::string TemporaryPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

TEST(CheckpointFile, CertificateReferenceRoundTripsAndOldFilesStillRead) {
  const std::string path = TemporaryPath("osmo_checkpoint_certificate.h5");
  SolverState state;
  state.iteration = 3;
  state.x = state.z = Image(kGrid, 0.01f);
  state.initial_cost = 12.5;
  state.initial_gradient_norm = 0.75;
  WriteCheckpoint(path, state, "fingerprint");
  EXPECT_EQ(ReadCheckpoint(path, "fingerprint", kGrid).initial_gradient_norm, 0.75);

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  ASSERT_GE(H5Adelete(file, "initial_gradient_norm"), 0);
  H5Fclose(file);
  const SolverState old = ReadCheckpoint(path, "fingerprint", kGrid);
  EXPECT_TRUE(std::isnan(old.initial_gradient_norm));  // computed afresh when resumed
  EXPECT_EQ(old.iteration, 3);
  EXPECT_EQ(old.initial_cost, 12.5);
  std::filesystem::remove(path);
}

TEST(CheckpointFile, SubsetScheduleRoundTripsAndOldFilesResumeWithTheOptionsCount) {
  const std::string path = TemporaryPath("osmo_checkpoint_schedule.h5");
  SolverState state;
  state.iteration = 7;
  state.subiteration = 40;
  state.subsets = 3;
  state.relax_origin = 36;
  state.pass_step = 0.125;
  state.x = state.z = Image(kGrid, 0.01f);
  state.denominator = Image(kGrid, 2.5f);  // NU-SQS's
  WriteCheckpoint(path, state, "fingerprint");
  const SolverState back = ReadCheckpoint(path, "fingerprint", kGrid);
  EXPECT_EQ(back.denominator.values, state.denominator.values);
  EXPECT_EQ(back.subsets, 3);
  EXPECT_EQ(back.relax_origin, 36);
  EXPECT_EQ(back.pass_step, 0.125);

  state.pass_step = std::numeric_limits<double>::infinity();  // just after M fell: no pass yet
  WriteCheckpoint(path, state, "fingerprint");
  EXPECT_TRUE(std::isinf(ReadCheckpoint(path, "fingerprint", kGrid).pass_step));

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  for (const char* name : {"subsets", "relax_origin"}) ASSERT_GE(H5Adelete(file, name), 0);
  H5Fclose(file);
  const SolverState old = ReadCheckpoint(path, "fingerprint", kGrid);
  EXPECT_EQ(old.subsets, 0);  // the solver starts from the options' M
  EXPECT_EQ(old.relax_origin, 0);
  std::filesystem::remove(path);
}

// OS-LALM's averaged gradient g and linearisation h are state: they round-trip, and a file with
// one but not the other is refused naming both.
TEST(CheckpointFile, LalmStateRoundTripsAndAHalfStateIsRefused) {
  const std::string path = TemporaryPath("osmo_checkpoint_lalm.h5");
  SolverState state;
  state.iteration = 2;
  state.subiteration = state.momentum_k = 12;
  state.x = Image(kGrid, 0.01f);
  state.lalm_average = Image(kGrid, -3.5f);
  state.lalm_linearisation = Image(kGrid, 0.25f);
  state.lalm_average.values[5] = 7.0f;
  WriteCheckpoint(path, state, "fingerprint");
  const SolverState back = ReadCheckpoint(path, "fingerprint", kGrid);
  EXPECT_EQ(back.lalm_average.values, state.lalm_average.values);
  EXPECT_EQ(back.lalm_linearisation.values, state.lalm_linearisation.values);
  EXPECT_EQ(back.momentum_k, 12);

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  ASSERT_GE(H5Ldelete(file, "/lalm_linearisation", H5P_DEFAULT), 0);
  H5Fclose(file);
  try {
    ReadCheckpoint(path, "fingerprint", kGrid);
    FAIL() << "a half OS-LALM state was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lalm_linearisation"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace osmo
