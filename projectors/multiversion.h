// Function multi-versioning of the hot kernels: the default (portable) build compiles each marked
// function for baseline x86-64, x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512) and picks the best
// one the CPU supports when the program starts (GCC target_clones, an ifunc), so one binary runs
// on any x86-64 node of a cluster at the speed of its vector units. Builds with
// -DOSMO_NATIVE_ARCH=ON compile everything for the building CPU instead.
//
// Mark functions that run a hot loop, including the function an OpenMP parallel region calls per
// work item: the region itself is outlined by the compiler and not cloned. Helpers that the
// marked function inlines (fast::Atan, footprint::TrapezoidCdf) are compiled into each clone.
// Results do not depend on the clone: osmo builds in ISO C++ mode, where GCC contracts no
// multiply-adds into FMAs (-ffp-contract=off), and its reductions have a fixed order.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#if defined(OSMO_MULTIVERSION) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OSMO_MULTIVERSIONED \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define OSMO_MULTIVERSIONED
#endif
