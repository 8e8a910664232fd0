// Throughput of the per-byte work of a backup: blob ids (HMAC-SHA-256),
// sealing (AES-256-GCM) and chunk boundary search (FastCDC).
//
//   cairn_micro_bench --benchmark_filter=Seal
// Reported bytes_per_second is plaintext bytes per second on one thread.
#include <benchmark/benchmark.h>

#include <random>

#include "chunker/chunker.h"
#include "crypto/crypto.h"

namespace cairn {
namespace {

Bytes random_data(size_t n) {
  std::mt19937_64 rng(42);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Key test_key() {
  Key k;
  random_bytes(k.data(), k.size());
  return k;
}

void BM_BlobHasherId(benchmark::State& state) {
  const Bytes data = random_data(static_cast<size_t>(state.range(0)));
  BlobHasher hasher(test_key());
  for (auto _ : state) benchmark::DoNotOptimize(hasher.id(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_BlobHasherId)->Arg(4 << 10)->Arg(512 << 10)->Arg(2 << 20);

void BM_Sha256(benchmark::State& state) {
  const Bytes data = random_data(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4 << 10)->Arg(512 << 10)->Arg(2 << 20);

void BM_Seal(benchmark::State& state) {
  const Bytes data = random_data(static_cast<size_t>(state.range(0)));
  const Bytes ad = random_data(33);
  Sealer sealer(test_key());
  Bytes out;
  for (auto _ : state) {
    out.clear();  // keeps the capacity: measures sealing, not allocation
    sealer.seal(data, ad, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Seal)->Arg(4 << 10)->Arg(512 << 10)->Arg(2 << 20);

void BM_Open(benchmark::State& state) {
  const Bytes data = random_data(static_cast<size_t>(state.range(0)));
  const Bytes ad = random_data(33);
  Sealer sealer(test_key());
  const Bytes sealed = sealer.seal(data, ad);
  for (auto _ : state) {
    auto plain = sealer.open(sealed, ad);
    if (!plain.is_ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(plain);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Open)->Arg(4 << 10)->Arg(512 << 10)->Arg(2 << 20);

// Splits 64 MiB of random data with the default parameters, as a backup does.
void BM_ChunkerFindBoundary(benchmark::State& state) {
  const Bytes data = random_data(64 << 20);
  ChunkerParams params;
  params.seed = 0x5eed;
  const Chunker chunker(params);
  size_t chunks = 0;
  for (auto _ : state) {
    ByteView rest(data);
    while (!rest.empty()) {
      size_t n = chunker.find_boundary(rest);
      rest = rest.subspan(n);
      ++chunks;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(data.size()));
  state.counters["avg_chunk_KiB"] = static_cast<double>(state.iterations()) * data.size() / chunks / 1024;
}
BENCHMARK(BM_ChunkerFindBoundary)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn
