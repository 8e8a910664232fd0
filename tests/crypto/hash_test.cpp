// SHA-256, the keyed blob hasher (HMAC-SHA-256) and blob id parsing.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>

#include "crypto/crypto.h"

namespace cairn {
namespace {

Bytes pseudo_random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Keys shorter than 32 bytes, zero-padded: HMAC pads every key shorter than
// the 64-byte block with zeros, so the padded key gives the same MAC.
Key padded_key(ByteView k) {
  Key key{};
  std::copy(k.begin(), k.end(), key.begin());
  return key;
}

std::string hmac_hex(const Key& key, ByteView data) { return BlobHasher(key).id(data).hex(); }

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(ByteView())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// RFC 4231 test cases 1-4 (the ones whose keys fit in 32 bytes).
TEST(BlobHasher, MatchesRfc4231Vectors) {
  EXPECT_EQ(hmac_hex(padded_key(Bytes(20, 0x0b)), as_bytes("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_hex(padded_key(as_bytes("Jefe")), as_bytes("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_hex(padded_key(Bytes(20, 0xaa)), Bytes(50, 0xdd)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  Bytes key4;
  for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
  EXPECT_EQ(hmac_hex(padded_key(key4), Bytes(50, 0xcd)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

// Computed with: openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
TEST(BlobHasher, MatchesOpensslCliWithFullKey) {
  Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(hmac_hex(key, as_bytes("The quick brown fox jumps over the lazy dog")),
            "f87ad256151fc7b4c5dffa4adb3ebe911a8eeb8a8ebdee3c2a4a8e5f5ec02c32");
  EXPECT_EQ(hmac_hex(key, ByteView()), "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb");
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 251);
  EXPECT_EQ(hmac_hex(key, data), "8bf90defe8ef048a99b602849c0d7e9bea5b9ebfcf600b7595156388d304df5b");
}

TEST(BlobHasher, MatchesOneShotHmacForManySizes) {
  std::mt19937_64 rng(7);
  const size_t sizes[] = {0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, 65537, 512 * 1024 + 3};
  for (size_t size : sizes) {
    for (int round = 0; round < 3; ++round) {
      Key key;
      for (auto& k : key) k = static_cast<uint8_t>(rng());
      const Bytes data = pseudo_random(size, rng());
      uint8_t expected[32];
      unsigned int len = 0;
      ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                     expected, &len),
                nullptr);
      ASSERT_EQ(len, 32u);
      BlobHasher hasher(key);
      EXPECT_EQ(hasher.id(data).hex(), to_hex(ByteView(expected, 32))) << "size " << size;
      // Calling again on the same hasher gives the same id (no state leaks between calls).
      EXPECT_EQ(hasher.id(data).hex(), to_hex(ByteView(expected, 32))) << "size " << size;
    }
  }
}

TEST(BlobHasher, DifferentKeysGiveDifferentIds) {
  Key a{}, b{};
  b[31] = 1;
  const Bytes data = pseudo_random(100, 1);
  EXPECT_NE(BlobHasher(a).id(data), BlobHasher(b).id(data));
}

TEST(BlobId, FromHexRoundTrips) {
  BlobId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  BlobId parsed;
  ASSERT_TRUE(BlobId::from_hex(id.hex(), parsed));
  EXPECT_EQ(parsed, id);
}

TEST(BlobId, FromHexRejectsMalformedTextAndLeavesOutputAlone) {
  BlobId original;
  original.bytes.fill(0x11);
  const std::string good(64, 'a');
  const std::string bad[] = {"",
                             good.substr(1),
                             good + "a",
                             good + "aa",
                             std::string(63, 'a') + "g",
                             std::string(64, 'A'),
                             std::string(62, 'a') + " a"};
  for (const auto& s : bad) {
    BlobId out = original;
    EXPECT_FALSE(BlobId::from_hex(s, out)) << s;
    EXPECT_EQ(out, original) << s;
  }
}

TEST(RandomObjectName, Is64LowercaseHexDigitsAndUnique) {
  const std::string a = random_object_name(), b = random_object_name();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  BlobId unused;
  EXPECT_TRUE(BlobId::from_hex(a, unused));
}

TEST(ConstantTimeEqual, ComparesContentsAndLengths) {
  EXPECT_TRUE(constant_time_equal(ByteView(), ByteView()));
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abcd")));
  EXPECT_FALSE(constant_time_equal(as_bytes(""), as_bytes("a")));
}

}  // namespace
}  // namespace cairn
