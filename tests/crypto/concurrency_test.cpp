// One BlobHasher and one Sealer shared by several threads, as the backup
// pipeline's workers share them.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "crypto/crypto.h"

namespace cairn {
namespace {

TEST(CryptoConcurrency, SharedHasherAndSealerGiveCorrectResultsFromFourThreads) {
  Key id_key, enc_key;
  random_bytes(id_key.data(), id_key.size());
  random_bytes(enc_key.data(), enc_key.size());
  const BlobHasher hasher(id_key);
  const Sealer sealer(enc_key);

  // Inputs of varied sizes and their ids, computed on this thread first.
  std::vector<Bytes> inputs;
  std::vector<BlobId> expected;
  std::mt19937_64 rng(99);
  for (int i = 0; i < 64; ++i) {
    Bytes b(rng() % (256 * 1024));
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    expected.push_back(hasher.id(b));
    inputs.push_back(std::move(b));
  }

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          const size_t k = (i + static_cast<size_t>(t) * 16) % inputs.size();
          if (hasher.id(inputs[k]) != expected[k]) ++failures;
          const Bytes ad(expected[k].bytes.begin(), expected[k].bytes.end());
          auto opened = sealer.open(sealer.seal(inputs[k], ad), ad);
          if (!opened.is_ok() || *opened != inputs[k]) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(CryptoConcurrency, ObjectSealedOnOneThreadOpensOnAnother) {
  Key key;
  random_bytes(key.data(), key.size());
  const Sealer sealer(key);
  const Bytes plain = to_bytes("sealed here, opened there");
  const Bytes sealed = sealer.seal(plain, ByteView());
  Result<Bytes> opened = corruption("not run");
  std::thread([&] { opened = sealer.open(sealed, ByteView()); }).join();
  ASSERT_TRUE(opened.is_ok());
  EXPECT_EQ(*opened, plain);
}

}  // namespace
}  // namespace cairn
