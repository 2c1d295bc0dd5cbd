// Seeded mutation testing of the two readers that take files from the outside world: the scan
// file (HDF5) and MetaImage volumes. Thousands of damaged copies of valid files (bit flips, byte
// runs, truncations, duplicated blocks) must each be read or refused with an InputError: no
// crash, no hang, no other exception, no non-finite value in a file that was accepted.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "projectors/error.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;
namespace fs = std::filesystem;

// Mutations per reader; OSMO_MUTATIONS overrides (e.g. 100000 for a long local run).
int MutationCount() {
  const char* text = std::getenv("OSMO_MUTATIONS");
  return text ? std::max(1, std::atoi(text)) : 2000;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// One random damage: flipped bits, a run of random bytes, a truncation, or a copied block.
std::string Mutate(std::string bytes, std::mt19937_64& rng) {
  auto uniform = [&](size_t n) { return size_t(rng() % std::max<size_t>(n, 1)); };
  switch (rng() % 4) {
    case 0:
      for (int k = 0, flips = 1 + int(rng() % 8); k < flips; ++k)
        bytes[uniform(bytes.size())] ^= char(1u << (rng() % 8));
      break;
    case 1: {
      const size_t at = uniform(bytes.size()), length = 1 + uniform(64);
      for (size_t n = at; n < std::min(bytes.size(), at + length); ++n) bytes[n] = char(rng());
      break;
    }
    case 2:
      bytes.resize(uniform(bytes.size()));
      break;
    default: {
      const size_t from = uniform(bytes.size()), to = uniform(bytes.size());
      const size_t length =
          std::min({size_t(1 + uniform(512)), bytes.size() - from, bytes.size() - to});
      std::copy_n(bytes.begin() + std::ptrdiff_t(from), length, bytes.begin() + std::ptrdiff_t(to));
    }
  }
  return bytes;
}

std::string Folder(const std::string& name) {
  const std::string folder = ::testing::TempDir() + "osmo_mutation_" + name;
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

// Applies `read` to mutated copies of `original`; counts acceptances and refusals.
template <class Read>
void Fuzz(const std::string& original, const std::string& mutated_path, uint64_t seed, Read read) {
  const std::string bytes = ReadBytes(original);
  ASSERT_FALSE(bytes.empty());
  std::mt19937_64 rng(seed);
  int accepted = 0, refused = 0;
  for (int n = 0; n < MutationCount(); ++n) {
    const std::string damaged = Mutate(bytes, rng);
    std::ofstream(mutated_path, std::ios::binary | std::ios::trunc)
        .write(damaged.data(), std::streamsize(damaged.size()));
    try {
      read(mutated_path);
      ++accepted;
    } catch (const InputError&) {
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << n << " (seed " << seed
                    << "): not an InputError: " << e.what();
    }
  }
  // Most damage must be noticed (checksums, sizes, headers); values changed in place inside an
  // uncompressed MetaImage are the only undetectable kind.
  EXPECT_GT(refused, MutationCount() / 4) << accepted << " accepted";
}

TEST(Mutation, ScanFileReaderRefusesOrReadsEveryDamagedCopy) {
  const std::string folder = Folder("scan");
  ScanData scan;
  scan.geometry = FanScan(DetectorShape::kArc, 24, 16, 1.5, 1.25, 500.0, 900.0);
  scan.sinogram = Sinogram(scan.geometry);
  scan.sinogram.values = RandomValues(scan.sinogram.size(), 1);
  scan.counts = Sinogram(scan.geometry);
  scan.counts->values = RandomValues(scan.sinogram.size(), 2);
  scan.incident_counts = {1e4f};
  ImageGeometry g = SquareImage(8, 2.5, 2, 1.5);
  scan.reference = Image(g);
  scan.reference->values = RandomValues(g.NumVoxels(), 5);
  const std::string original = folder + "/scan.h5";
  WriteScanFile(original, scan);
  Fuzz(original, folder + "/mutated.h5", 20261129, [](const std::string& path) {
    const ScanData back = ReadScanFile(path);
    for (float v : back.sinogram.values) ASSERT_TRUE(std::isfinite(v));
    ASSERT_EQ(back.sinogram.size(), back.geometry.NumBins());
  });
}

TEST(Mutation, MetaImageReaderRefusesOrReadsEveryDamagedCopy) {
  const std::string folder = Folder("volume");
  Image image(SquareImage(16, 0.75, 3, 2.0));
  image.values = RandomValues(image.size(), 7);
  for (bool compress : {true, false}) {
    const std::string original = folder + (compress ? "/packed.mha" : "/raw.mha");
    VolumeWriteOptions options;
    options.compress = compress;
    options.units = VolumeUnits::kHounsfield;
    WriteVolume(original, image, options);
    Fuzz(original, folder + "/mutated.mha", compress ? 7 : 8, [&](const std::string& path) {
      const VolumeFile back = ReadVolumeFile(path);
      for (float v : back.image.values) ASSERT_TRUE(std::isfinite(v));
      ASSERT_EQ(back.image.size(), back.image.geometry.NumVoxels());
    });
  }
}

}  // namespace
}  // namespace osmo
