// Function multi-versioning of the hot kernels: the default (portable) build compiles each marked
// function for baseline x86-64, x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512) and picks the best
// one the CPU supports when the program starts (GCC target_clones, an ifunc), so one binary runs
// on any x86-64 node of a cluster at the speed of its vector units. Builds with
// -DOSMO_NATIVE_ARCH=ON compile everything for the building CPU instead.
//
// Mark functions that run a hot loop, including the function an OpenMP parallel region calls per
// work item: the region itself is outlined by the compiler and not cloned. Helpers that the
// marked function inlines (fast::Atan, footprint::TrapezoidCdf) are compiled into each clone.
// Results depend on the clone only through fused multiply-adds: GCC contracts a·b + c into one FMA
// wherever the target has the instruction (it does so in C++ even in ISO mode), so the AVX2 and
// AVX-512 clones round such expressions once and the baseline clone, for CPUs without FMA (before
// about 2013), twice: results on such a CPU differ at round-off from those on newer ones. (The
// AVX2 and AVX-512 clones contract the same expressions and should agree; that has not been
// compared on an AVX-512 machine. The cone forward projection's short-step accumulation (two-
// and three-row columns) does differ: on AVX-512 it sums each row as a tree,
// window_gather::AccumulateShortStepRows, so AVX2 and AVX-512 machines agree there to round-off
// only.) Float reductions keep their source order (no
// -ffast-math), and the thread count never changes a result. -ffp-contract=off would make every
// clone agree, at a measured 6–28 % of the projector, FBP and solver speed (2026-11-30).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#if defined(OSMO_MULTIVERSION) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OSMO_MULTIVERSIONED \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define OSMO_MULTIVERSIONED
#endif

// For a helper template or function that a marked function calls from its hot loop and that GCC
// might not inline on its own (one called twice, say): inlined, it is compiled into each clone;
// out of line it would run the baseline code.
// The same for a lambda, written after its parameter list: [=](auto x) OSMO_LAMBDA_INLINE_…{ }.
#if defined(__GNUC__)
#define OSMO_INLINE_INTO_CLONES inline __attribute__((always_inline))
#define OSMO_LAMBDA_INLINE_INTO_CLONES __attribute__((always_inline))
#else
#define OSMO_INLINE_INTO_CLONES inline
#define OSMO_LAMBDA_INLINE_INTO_CLONES
#endif
