// FNV-1a 64-bit hashing (Fowler, Noll & Vo) for fingerprints of data, files and job names: fast,
// stable across platforms and runs, not cryptographic.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace osmo {

constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ull;

// FNV-1a over raw bytes, continuing from `hash` (start: kFnv1aOffset).
inline uint64_t Fnv1aBytes(const void* data, size_t size, uint64_t hash = kFnv1aOffset) {
  const unsigned char* bytes = static_cast<const unsigned char*>(data);
  for (size_t n = 0; n < size; ++n) {
    hash ^= bytes[n];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

inline uint64_t Fnv1a(const std::string& bytes) { return Fnv1aBytes(bytes.data(), bytes.size()); }

}  // namespace osmo
