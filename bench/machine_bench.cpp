// The machine's own limits, for the roofline of docs/BENCHMARKS.md: the core clock while a core
// is busy (a chain of dependent one-cycle integer adds) and the memory bandwidth of all cores
// (STREAM's triad a = b + s·c on arrays far larger than the caches).
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <vector>

namespace osmo {
namespace {

// Each add depends on the previous one and takes one cycle on every x86-64 core of the last
// decade, so adds per second is the clock (turbo included, as the kernels see it). Run it on
// all cores at once (--benchmark_filter=BM_CoreClock/2 on 2 cores) for the all-core clock.
void BM_CoreClock(benchmark::State& state) {
  constexpr int64_t kAdds = int64_t{100} * 1000 * 1000;
#if defined(__x86_64__)
  for (auto _ : state) {
#pragma omp parallel num_threads(int(state.range(0)))
    {
      uint64_t x = 0;
      for (int64_t n = 0; n < kAdds; n += 10) {
        asm volatile(  // ten dependent adds the compiler can neither fold nor reorder
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
            : "+r"(x));
      }
      benchmark::DoNotOptimize(x);
    }
  }
  state.counters["GHz"] =
      benchmark::Counter(double(kAdds) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
#else
  state.SkipWithError("the clock probe is x86-64 assembly");
#endif
}

void BM_StreamTriad(benchmark::State& state) {
  const int64_t n = int64_t(1) << 25;  // 3 arrays of 128 MiB
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f),
      c(static_cast<size_t>(n), 2.0f);
  const float s = 0.5f;
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) a[size_t(i)] = b[size_t(i)] + s * c[size_t(i)];
    benchmark::DoNotOptimize(a.data());
  }
  // STREAM counts 3 arrays (two read, one written); the write's cache-line read is not counted.
  state.counters["GB_per_s"] = benchmark::Counter(double(n) * 3.0 * sizeof(float) * 1e-9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

BENCHMARK(BM_CoreClock)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamTriad)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace osmo
