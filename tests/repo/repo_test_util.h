// Helpers shared by the repository tests: a repository in a fresh folder
// opened with a cheap KDF, reproducible contents, and direct access to the
// files behind objects so a test can damage them the way a disk would.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "repo/blob_writer.h"
#include "repo/repository.h"
#include "storage/local_backend.h"
#include "support/temp_dir.h"

namespace cairn {

inline constexpr char kPassword[] = "correct horse battery staple";

// Argon2id at 8 MiB and one pass: these tests are about the repository, not the KDF.
inline KdfParams cheap_kdf() {
  KdfParams kdf;
  kdf.memory_kib = 8 * 1024;
  kdf.iterations = 1;
  return kdf;
}

inline InitOptions fast_init_options() {
  InitOptions options;
  options.kdf = cheap_kdf();
  return options;
}

// Incompressible bytes; the same seed gives the same bytes.
inline Bytes random_data(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Bytes that zstd shrinks a lot (a repeated sentence with a counter).
inline Bytes compressible_data(size_t n, uint64_t seed = 0) {
  Bytes out;
  out.reserve(n + 64);
  for (uint64_t i = 0; out.size() < n; ++i) {
    std::string line =
        "line " + std::to_string(seed) + "/" + std::to_string(i) + " of a very repetitive file\n";
    out.insert(out.end(), line.begin(), line.end());
  }
  out.resize(n);
  return out;
}

inline Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(out.good()) << "cannot write " << path;
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Inverts one byte of a file in place, as bit rot would.
inline void flip_byte_in_file(const std::string& path, uint64_t offset) {
  Bytes data = read_file(path);
  ASSERT_LT(offset, data.size()) << path;
  data[offset] ^= 0xff;
  write_file(path, data);
}

inline std::vector<std::string> object_names(Backend& backend, ObjectKind kind) {
  std::vector<std::string> names;
  Status s = backend.list(kind, [&](const ObjectInfo& o) { names.push_back(o.key.name); });
  EXPECT_TRUE(s.is_ok()) << s.message();
  return names;
}

// Stores each blob through one writer and flushes; returns their ids in order.
inline std::vector<BlobId> store_blobs(Repository& repo,
                                       const std::vector<std::pair<BlobType, Bytes>>& blobs) {
  std::vector<BlobId> ids;
  BlobWriter writer(repo);
  for (const auto& [type, data] : blobs) {
    BlobId id = repo.hasher().id(data);
    Result<bool> added = writer.add(type, id, data);
    EXPECT_TRUE(added.is_ok()) << added.status().message();
    ids.push_back(id);
  }
  Status s = writer.flush();
  EXPECT_TRUE(s.is_ok()) << s.message();
  return ids;
}

// A new local backend in dir (which must hold no repository yet).
inline std::shared_ptr<Backend> new_local_backend(const TempDir& dir) {
  Result<std::unique_ptr<Backend>> backend = create_local_backend(dir.path());
  EXPECT_TRUE(backend.is_ok()) << backend.status().message();
  return backend.is_ok() ? std::shared_ptr<Backend>(std::move(*backend)) : nullptr;
}

// A repository on a local backend in a fresh folder, opened with kPassword.
class RepoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(create_repository(fast_init_options())); }

  void create_repository(const InitOptions& options) {
    Result<std::unique_ptr<Backend>> backend = create_local_backend(dir_.path());
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    backend_ = std::move(*backend);
    Status s = Repository::init(backend_, kPassword, options);
    ASSERT_TRUE(s.is_ok()) << s.message();
    repo_ = open_again();
    ASSERT_NE(repo_, nullptr);
  }

  // A second, independent Repository on the same storage (as another process would open it).
  std::unique_ptr<Repository> open_again(std::string_view password = kPassword) {
    Result<std::unique_ptr<Repository>> repo = Repository::open(backend_, password);
    EXPECT_TRUE(repo.is_ok()) << repo.status().message();
    return repo.is_ok() ? std::move(*repo) : nullptr;
  }

  // The file the local backend keeps an object in.
  std::string object_path(ObjectKind kind, const std::string& name) const {
    if (kind == ObjectKind::kConfig) return dir_.file("config");
    if (kind == ObjectKind::kPack) return dir_.file("data/" + name.substr(0, 2) + "/" + name);
    return dir_.file(std::string(object_kind_name(kind)) + "/" + name);
  }

  // The pack file holding a blob, according to the repository's index.
  std::string pack_path_of(const BlobId& id) {
    std::optional<BlobLocation> loc = repo_->index().find(id);
    EXPECT_TRUE(loc.has_value()) << "blob " << id.hex() << " is not indexed";
    return loc ? object_path(ObjectKind::kPack, repo_->index().pack_id(loc->pack).hex()) : std::string();
  }

  TempDir dir_;
  std::shared_ptr<Backend> backend_;
  std::unique_ptr<Repository> repo_;
};

}  // namespace cairn
