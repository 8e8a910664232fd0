// AES-256-GCM sealing: round trips, authentication failures, nonces.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "crypto/crypto.h"

namespace cairn {
namespace {

Bytes pseudo_random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Key key_from(uint64_t seed) {
  Key k;
  const Bytes b = pseudo_random(k.size(), seed);
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

void expect_corruption(const Result<Bytes>& r, const std::string& what) {
  ASSERT_FALSE(r.is_ok()) << what;
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << what;
}

TEST(Sealer, RoundTripsSizesFromZeroToOneMebibyte) {
  Sealer sealer(key_from(1));
  const Bytes ad = to_bytes("data/0123");
  const size_t sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 255, 4096, 65537, 512 * 1024, 1024 * 1024};
  for (size_t size : sizes) {
    const Bytes plain = pseudo_random(size, size);
    const Bytes sealed = sealer.seal(plain, ad);
    ASSERT_EQ(sealed.size(), size + kSealOverhead);
    auto opened = sealer.open(sealed, ad);
    ASSERT_TRUE(opened.is_ok()) << size << ": " << opened.status().message();
    EXPECT_EQ(*opened, plain) << size;
  }
}

TEST(Sealer, RoundTripsWithEmptyAssociatedData) {
  Sealer sealer(key_from(2));
  const Bytes plain = pseudo_random(100, 3);
  auto opened = sealer.open(sealer.seal(plain, ByteView()), ByteView());
  ASSERT_TRUE(opened.is_ok());
  EXPECT_EQ(*opened, plain);
}

TEST(Sealer, SealAppendsToOutput) {
  Sealer sealer(key_from(3));
  Bytes out = to_bytes("header");
  const Bytes plain = pseudo_random(50, 4);
  sealer.seal(plain, ByteView(), out);
  ASSERT_EQ(out.size(), 6 + plain.size() + kSealOverhead);
  EXPECT_EQ(as_string_view(ByteView(out).first(6)), "header");
  auto opened = sealer.open(ByteView(out).subspan(6), ByteView());
  ASSERT_TRUE(opened.is_ok());
  EXPECT_EQ(*opened, plain);
}

TEST(Sealer, SealingTwiceUsesDifferentNonces) {
  Sealer sealer(key_from(4));
  const Bytes plain = pseudo_random(64, 5);
  const Bytes a = sealer.seal(plain, ByteView()), b = sealer.seal(plain, ByteView());
  EXPECT_NE(a, b);
  EXPECT_FALSE(std::equal(a.begin(), a.begin() + kNonceSize, b.begin()));
}

TEST(Sealer, NoncesDoNotRepeatOverManySeals) {
  Sealer sealer(key_from(5));
  std::set<Bytes> nonces;
  for (int i = 0; i < 1000; ++i) {
    const Bytes sealed = sealer.seal(ByteView(), ByteView());
    nonces.insert(Bytes(sealed.begin(), sealed.begin() + kNonceSize));
  }
  EXPECT_EQ(nonces.size(), 1000u);
}

// Nonces are drawn in batches; a forked child must not hand out the ones
// left in its parent's batch, or both would seal under the same nonce.
TEST(Sealer, ForkedChildDoesNotReuseParentNonces) {
  Sealer sealer(key_from(22));
  (void)sealer.seal(ByteView(), ByteView());  // leaves a partly used batch
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const Bytes sealed = sealer.seal(ByteView(), ByteView());
    ssize_t written = write(fds[1], sealed.data(), kNonceSize);
    _exit(written == static_cast<ssize_t>(kNonceSize) ? 0 : 1);
  }
  close(fds[1]);
  const Bytes sealed = sealer.seal(ByteView(), ByteView());
  uint8_t child_nonce[kNonceSize];
  ASSERT_EQ(read(fds[0], child_nonce, kNonceSize), static_cast<ssize_t>(kNonceSize));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(std::equal(child_nonce, child_nonce + kNonceSize, sealed.begin()));
}

TEST(Sealer, OpenFailsForAnyFlippedBit) {
  Sealer sealer(key_from(6));
  const Bytes ad = to_bytes("index");
  const Bytes sealed = sealer.seal(pseudo_random(40, 7), ad);
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    Bytes damaged = sealed;
    damaged[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    expect_corruption(sealer.open(damaged, ad), "bit " + std::to_string(bit));
  }
}

TEST(Sealer, OpenFailsForFlippedBitInLargeObject) {
  Sealer sealer(key_from(8));
  const Bytes sealed = sealer.seal(pseudo_random(300 * 1024, 9), ByteView());
  for (size_t pos :
       {size_t{0}, kNonceSize, sealed.size() / 2, sealed.size() - kTagSize - 1, sealed.size() - 1}) {
    Bytes damaged = sealed;
    damaged[pos] ^= 0x80;
    expect_corruption(sealer.open(damaged, ByteView()), "byte " + std::to_string(pos));
  }
}

TEST(Sealer, OpenFailsForWrongAssociatedData) {
  Sealer sealer(key_from(10));
  const Bytes sealed = sealer.seal(pseudo_random(40, 11), to_bytes("data/aa"));
  expect_corruption(sealer.open(sealed, to_bytes("data/ab")), "other");
  expect_corruption(sealer.open(sealed, ByteView()), "empty");
  Bytes longer = to_bytes("data/aa");
  longer.push_back(0);
  expect_corruption(sealer.open(sealed, longer), "longer");
}

TEST(Sealer, OpenFailsForWrongKey) {
  Sealer sealer(key_from(12)), other(key_from(13));
  const Bytes sealed = sealer.seal(pseudo_random(40, 14), ByteView());
  expect_corruption(other.open(sealed, ByteView()), "other key");
  // The right key still opens it afterwards (per-thread key caching).
  EXPECT_TRUE(sealer.open(sealed, ByteView()).is_ok());
}

TEST(Sealer, OpenFailsForTruncatedOrExtendedInput) {
  Sealer sealer(key_from(15));
  const Bytes sealed = sealer.seal(pseudo_random(40, 16), ByteView());
  for (size_t n = 0; n < sealed.size(); ++n) {
    expect_corruption(sealer.open(ByteView(sealed).first(n), ByteView()), "length " + std::to_string(n));
  }
  Bytes longer = sealed;
  longer.push_back(0);
  expect_corruption(sealer.open(longer, ByteView()), "one byte more");
}

TEST(Sealer, OpenNeverCrashesOnGarbage) {
  Sealer sealer(key_from(17));
  std::mt19937_64 rng(18);
  for (int i = 0; i < 2000; ++i) {
    const Bytes garbage = pseudo_random(rng() % 200, rng());
    expect_corruption(sealer.open(garbage, ByteView()), "garbage " + std::to_string(i));
  }
}

TEST(Sealer, SealersWithDifferentKeysInterleaveOnOneThread) {
  Sealer a(key_from(19)), b(key_from(20));
  const Bytes plain = pseudo_random(1000, 21);
  for (int i = 0; i < 10; ++i) {
    const Bytes sa = a.seal(plain, ByteView()), sb = b.seal(plain, ByteView());
    auto oa = a.open(sa, ByteView()), ob = b.open(sb, ByteView());
    ASSERT_TRUE(oa.is_ok() && ob.is_ok());
    EXPECT_EQ(*oa, plain);
    EXPECT_EQ(*ob, plain);
    expect_corruption(a.open(sb, ByteView()), "b's object under a");
  }
}

}  // namespace
}  // namespace cairn
