// Argon2id key derivation and its parameter bounds.
#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace cairn {
namespace {

// Cheap parameters: the tests check behaviour, not cost.
KdfParams cheap() { return KdfParams{.memory_kib = 64, .iterations = 1, .parallelism = 1}; }

TEST(DeriveKey, IsDeterministicForSameInputs) {
  const Bytes salt = to_bytes("0123456789abcdef");
  auto a = derive_key("correct horse", salt, cheap());
  auto b = derive_key("correct horse", salt, cheap());
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(*a, *b);
}

// Known answers from libargon2's own test suite (phc-winner-argon2 src/test.c),
// Argon2id v1.3, password "password", salt "somesalt", 32-byte output.
TEST(DeriveKey, MatchesReferenceVectors) {
  struct Vector {
    KdfParams params;
    const char* hex;
  };
  const Vector vectors[] = {
      {{.memory_kib = 256, .iterations = 2, .parallelism = 1},
       "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"},
      {{.memory_kib = 256, .iterations = 2, .parallelism = 2},
       "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037"},
      // The default cost of a key file (64 MiB), with two passes.
      {{.memory_kib = 64 * 1024, .iterations = 2, .parallelism = 1},
       "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"},
  };
  for (const auto& v : vectors) {
    auto key = derive_key("password", to_bytes("somesalt"), v.params);
    ASSERT_TRUE(key.is_ok()) << key.status().message();
    EXPECT_EQ(to_hex(*key), v.hex);
  }
}

TEST(DeriveKey, DependsOnPasswordSaltAndParameters) {
  const Bytes salt = to_bytes("0123456789abcdef");
  auto base = derive_key("correct horse", salt, cheap());
  ASSERT_TRUE(base.is_ok());
  EXPECT_NE(*derive_key("correct horsf", salt, cheap()), *base);
  EXPECT_NE(*derive_key("correct horse", to_bytes("0123456789abcdeg"), cheap()), *base);
  KdfParams more_memory = cheap();
  more_memory.memory_kib = 128;
  EXPECT_NE(*derive_key("correct horse", salt, more_memory), *base);
  KdfParams more_iterations = cheap();
  more_iterations.iterations = 2;
  EXPECT_NE(*derive_key("correct horse", salt, more_iterations), *base);
  KdfParams more_lanes = cheap();
  more_lanes.parallelism = 2;
  EXPECT_NE(*derive_key("correct horse", salt, more_lanes), *base);
}

TEST(DeriveKey, AcceptsEmptyPassword) {
  auto key = derive_key("", to_bytes("saltsalt"), cheap());
  EXPECT_TRUE(key.is_ok()) << key.status().message();
}

TEST(DeriveKey, RejectsAbsurdParameters) {
  const Bytes salt = to_bytes("0123456789abcdef");
  const KdfParams bad[] = {
      {.memory_kib = 0, .iterations = 1, .parallelism = 1},
      {.memory_kib = 7, .iterations = 1, .parallelism = 1},
      {.memory_kib = 4 * 1024 * 1024 + 1, .iterations = 1, .parallelism = 1},
      {.memory_kib = UINT32_MAX, .iterations = 1, .parallelism = 1},
      {.memory_kib = 64, .iterations = 0, .parallelism = 1},
      {.memory_kib = 64, .iterations = 101, .parallelism = 1},
      {.memory_kib = 64, .iterations = UINT32_MAX, .parallelism = 1},
      {.memory_kib = 64, .iterations = 1, .parallelism = 0},
      {.memory_kib = 1024, .iterations = 1, .parallelism = 65},
      {.memory_kib = 64, .iterations = 1, .parallelism = 16},  // below 8 KiB per lane
  };
  for (const auto& p : bad) {
    auto key = derive_key("pw", salt, p);
    ASSERT_FALSE(key.is_ok()) << p.memory_kib << "/" << p.iterations << "/" << p.parallelism;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(DeriveKey, RejectsShortSalt) {
  auto key = derive_key("pw", to_bytes("1234567"), cheap());
  ASSERT_FALSE(key.is_ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
