// Repository: init and open, keys, sealed objects and snapshots.
#include "repo/repository.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "repo_test_util.h"

namespace cairn {
namespace {

class RepositoryTest : public RepoTest {};

TEST_F(RepositoryTest, OpenWithTheInitPasswordGivesTheConfigOfTheOptions) {
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  ASSERT_NE(backend, nullptr);
  InitOptions options = fast_init_options();
  options.compression_level = 7;
  options.pack_size = 4u * 1024 * 1024;
  options.chunker.min_size = 8 * 1024;
  options.chunker.avg_size = 32 * 1024;
  options.chunker.max_size = 128 * 1024;
  ASSERT_TRUE(Repository::init(backend, "pw", options).is_ok());

  Result<std::unique_ptr<Repository>> repo = Repository::open(backend, "pw");
  ASSERT_TRUE(repo.is_ok()) << repo.status().message();
  const RepoConfig& c = (*repo)->config();
  EXPECT_EQ(c.version, kRepositoryVersion);
  EXPECT_EQ(c.compression_level, 7);
  EXPECT_EQ(c.pack_size, options.pack_size);
  EXPECT_EQ(c.chunker.min_size, options.chunker.min_size);
  EXPECT_EQ(c.chunker.avg_size, options.chunker.avg_size);
  EXPECT_EQ(c.chunker.max_size, options.chunker.max_size);
  EXPECT_EQ((*repo)->chunker().params().max_size, options.chunker.max_size);
  EXPECT_EQ(c.id.size(), 64u);
  EXPECT_GT(c.created, 0);
}

TEST_F(RepositoryTest, EachInitGetsItsOwnIdAndChunkerSeed) {
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  ASSERT_NE(backend, nullptr);
  ASSERT_TRUE(Repository::init(backend, "pw", fast_init_options()).is_ok());
  Result<std::unique_ptr<Repository>> other = Repository::open(backend, "pw");
  ASSERT_TRUE(other.is_ok()) << other.status().message();
  EXPECT_NE((*other)->config().id, repo_->config().id);
  EXPECT_NE((*other)->config().chunker.seed, repo_->config().chunker.seed);
}

TEST_F(RepositoryTest, OpenWithAWrongPasswordIsWrongPassword) {
  Result<std::unique_ptr<Repository>> repo = Repository::open(backend_, "not the password");
  ASSERT_FALSE(repo.is_ok());
  EXPECT_EQ(repo.status().code(), ErrorCode::kWrongPassword) << repo.status().message();
}

TEST_F(RepositoryTest, InitWithAnEmptyPasswordIsRefused) {
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(Repository::init(backend, "", fast_init_options()).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(object_names(*backend, ObjectKind::kKey).empty()) << "a refused init left a key file";
}

TEST_F(RepositoryTest, InitWithAPackSizeBelowOneMebibyteIsRefused) {
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  ASSERT_NE(backend, nullptr);
  InitOptions options = fast_init_options();
  options.pack_size = 512 * 1024;
  EXPECT_EQ(Repository::init(backend, "pw", options).code(), ErrorCode::kInvalidArgument);
}

TEST_F(RepositoryTest, CreatingALocalBackendWhereARepositoryExistsIsAlreadyExists) {
  Result<std::unique_ptr<Backend>> again = create_local_backend(dir_.path());
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists) << again.status().message();
}

// A backend that cannot refuse like create_local_backend does (opened
// instead of created) must still not get a second repository: init fails
// and the first repository opens as before, with its own password even if
// the second init used the same one.
TEST_F(RepositoryTest, InitIntoAnExistingRepositoryFailsAndLeavesItAsItWas) {
  Result<std::unique_ptr<Backend>> opened = open_local_backend(dir_.path());
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  std::shared_ptr<Backend> backend = std::move(*opened);
  for (int attempt = 0; attempt < 4; ++attempt) {
    EXPECT_EQ(Repository::init(backend, kPassword, fast_init_options()).code(), ErrorCode::kAlreadyExists);
  }
  EXPECT_EQ(object_names(*backend, ObjectKind::kKey).size(), 1u) << "a failed init left key files behind";
  std::unique_ptr<Repository> repo = open_again();
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(repo->config().id, repo_->config().id);
}

TEST_F(RepositoryTest, AddedKeyOpensTheRepositoryAndTheFirstStillDoes) {
  ASSERT_TRUE(repo_->add_key("second password", cheap_kdf()).is_ok());
  std::unique_ptr<Repository> by_second = open_again("second password");
  std::unique_ptr<Repository> by_first = open_again(kPassword);
  ASSERT_NE(by_second, nullptr);
  ASSERT_NE(by_first, nullptr);
  EXPECT_EQ(by_second->config().id, repo_->config().id);

  // Same master key: what one session seals, the other opens.
  ASSERT_TRUE(by_second->put_sealed(ObjectKind::kIndex, "ab", as_bytes("shared")).is_ok());
  Result<Bytes> read = by_first->get_sealed(ObjectKind::kIndex, "ab");
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  EXPECT_EQ(as_string_view(*read), "shared");
}

TEST_F(RepositoryTest, ListKeysMarksExactlyTheKeyInUseAsCurrent) {
  ASSERT_TRUE(repo_->add_key("second password", cheap_kdf()).is_ok());
  Result<std::vector<KeyListing>> keys = repo_->list_keys();
  ASSERT_TRUE(keys.is_ok()) << keys.status().message();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(std::count_if(keys->begin(), keys->end(), [](const KeyListing& k) { return k.current; }), 1);
  for (const auto& k : *keys) {
    EXPECT_EQ(k.info.name.size(), 64u);
    EXPECT_EQ(k.info.hostname, current_hostname());
    EXPECT_EQ(k.info.kdf.memory_kib, cheap_kdf().memory_kib);
  }

  // The other session sees the same two keys, with the other one current.
  std::unique_ptr<Repository> by_second = open_again("second password");
  ASSERT_NE(by_second, nullptr);
  Result<std::vector<KeyListing>> seen = by_second->list_keys();
  ASSERT_TRUE(seen.is_ok()) << seen.status().message();
  ASSERT_EQ(seen->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*seen)[i].info.name, (*keys)[i].info.name);
    EXPECT_NE((*seen)[i].current, (*keys)[i].current);
  }
}

std::string current_key(Repository& repo) {
  Result<std::vector<KeyListing>> keys = repo.list_keys();
  EXPECT_TRUE(keys.is_ok()) << keys.status().message();
  for (const auto& k : *keys)
    if (k.current) return k.info.name;
  return "";
}

TEST_F(RepositoryTest, RemoveKeyRefusesTheKeyInUse) {
  ASSERT_TRUE(repo_->add_key("second password", cheap_kdf()).is_ok());
  Status s = repo_->remove_key(current_key(*repo_));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.message();
  EXPECT_EQ(repo_->list_keys()->size(), 2u);
}

// The last key is always the one in use (it opened the repository), so the
// same refusal keeps a repository from losing its last key.
TEST_F(RepositoryTest, RemoveKeyRefusesTheLastKey) {
  Status s = repo_->remove_key(current_key(*repo_));
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(object_names(*backend_, ObjectKind::kKey).size(), 1u);
  EXPECT_NE(open_again(), nullptr);
}

TEST_F(RepositoryTest, RemovingTheOtherKeyMakesItsPasswordWrong) {
  ASSERT_TRUE(repo_->add_key("second password", cheap_kdf()).is_ok());
  std::unique_ptr<Repository> by_second = open_again("second password");
  ASSERT_NE(by_second, nullptr);
  const std::string second = current_key(*by_second);

  ASSERT_TRUE(repo_->remove_key(second).is_ok());
  EXPECT_EQ(repo_->list_keys()->size(), 1u);
  EXPECT_EQ(Repository::open(backend_, "second password").status().code(), ErrorCode::kWrongPassword);
  EXPECT_NE(open_again(kPassword), nullptr);
}

TEST_F(RepositoryTest, RemovingAnUnknownKeyIsNotFound) {
  EXPECT_EQ(repo_->remove_key(std::string(64, 'e')).code(), ErrorCode::kNotFound);
}

TEST_F(RepositoryTest, SealedObjectsRoundTrip) {
  const Bytes compressible = compressible_data(200'000);
  const Bytes random = random_data(5000, 1);
  ASSERT_TRUE(repo_->put_sealed(ObjectKind::kIndex, "01", compressible).is_ok());
  ASSERT_TRUE(repo_->put_sealed(ObjectKind::kSnapshot, "02", random).is_ok());
  ASSERT_TRUE(repo_->put_sealed(ObjectKind::kLock, "03", Bytes{}).is_ok());
  EXPECT_EQ(*repo_->get_sealed(ObjectKind::kIndex, "01"), compressible);
  EXPECT_EQ(*repo_->get_sealed(ObjectKind::kSnapshot, "02"), random);
  EXPECT_EQ(*repo_->get_sealed(ObjectKind::kLock, "03"), Bytes{});
  // Stored encrypted: the plaintext does not appear in the file.
  const Bytes file = read_file(object_path(ObjectKind::kSnapshot, "02"));
  EXPECT_EQ(std::search(file.begin(), file.end(), random.begin(), random.begin() + 64), file.end());
}

TEST_F(RepositoryTest, GetSealedOfAMissingObjectIsNotFound) {
  EXPECT_EQ(repo_->get_sealed(ObjectKind::kIndex, "0123").status().code(), ErrorCode::kNotFound);
}

// The associated data binds a sealed object to its kind and name, so a
// valid object copied to another name (or another folder) is rejected.
TEST_F(RepositoryTest, SealedObjectUnderAnotherNameFailsAuthentication) {
  const std::string a(64, 'a'), b(64, 'b');
  ASSERT_TRUE(repo_->put_sealed(ObjectKind::kIndex, a, as_bytes("index contents")).is_ok());
  std::filesystem::copy_file(object_path(ObjectKind::kIndex, a), object_path(ObjectKind::kIndex, b));
  std::filesystem::copy_file(object_path(ObjectKind::kIndex, a), object_path(ObjectKind::kSnapshot, a));
  ASSERT_TRUE(repo_->get_sealed(ObjectKind::kIndex, a).is_ok());

  Result<Bytes> renamed = repo_->get_sealed(ObjectKind::kIndex, b);
  ASSERT_FALSE(renamed.is_ok());
  EXPECT_EQ(renamed.status().code(), ErrorCode::kCorruption) << renamed.status().message();
  Result<Bytes> moved = repo_->get_sealed(ObjectKind::kSnapshot, a);
  ASSERT_FALSE(moved.is_ok());
  EXPECT_EQ(moved.status().code(), ErrorCode::kCorruption) << moved.status().message();
}

TEST_F(RepositoryTest, FlippedByteInASealedObjectIsCorruption) {
  ASSERT_TRUE(repo_->put_sealed(ObjectKind::kIndex, "aa", compressible_data(1000)).is_ok());
  const std::string path = object_path(ObjectKind::kIndex, "aa");
  const size_t size = read_file(path).size();
  for (size_t pos : {size_t{0}, size_t{kNonceSize}, size / 2, size - 1}) {
    flip_byte_in_file(path, pos);
    EXPECT_EQ(repo_->get_sealed(ObjectKind::kIndex, "aa").status().code(), ErrorCode::kCorruption) << pos;
    flip_byte_in_file(path, pos);
  }
  EXPECT_TRUE(repo_->get_sealed(ObjectKind::kIndex, "aa").is_ok()) << "flipping back should restore it";
}

SnapshotManifest manifest(const std::string& name, TimeNs started) {
  SnapshotManifest m;
  m.name = name;
  m.hostname = "host";
  m.username = "user";
  m.paths = {"/srv/data"};
  m.labels = {{"app", "db"}};
  m.started = started;
  m.completed = started + 5'000'000'000;
  m.tree.bytes[0] = 0x42;
  m.stats.files = 3;
  m.errors = {{"/srv/data/x", "permission denied"}};
  return m;
}

TEST_F(RepositoryTest, SavedSnapshotLoadsBackByName) {
  const SnapshotManifest saved = manifest("nightly-1", 1'000);
  ASSERT_TRUE(repo_->save_snapshot(saved).is_ok());
  Result<SnapshotManifest> loaded = repo_->load_snapshot("nightly-1");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->name, saved.name);
  EXPECT_EQ(loaded->tree, saved.tree);
  EXPECT_EQ(loaded->started, saved.started);
  EXPECT_EQ(loaded->completed, saved.completed);
  EXPECT_EQ(loaded->labels, saved.labels);
  EXPECT_EQ(loaded->paths, saved.paths);
  EXPECT_EQ(loaded->stats.files, 3u);
  ASSERT_EQ(loaded->errors.size(), 1u);
  EXPECT_EQ(loaded->errors[0].message, "permission denied");
}

TEST_F(RepositoryTest, SavingASecondSnapshotWithTheSameNameIsAlreadyExists) {
  ASSERT_TRUE(repo_->save_snapshot(manifest("nightly-1", 1'000)).is_ok());
  Status s = repo_->save_snapshot(manifest("nightly-1", 2'000));
  EXPECT_EQ(s.code(), ErrorCode::kAlreadyExists) << s.message();
  EXPECT_EQ(repo_->load_snapshot("nightly-1")->started, 1'000) << "the first snapshot was replaced";
}

TEST_F(RepositoryTest, LoadingAMissingSnapshotIsNotFound) {
  ASSERT_TRUE(repo_->save_snapshot(manifest("nightly-1", 1'000)).is_ok());
  EXPECT_EQ(repo_->load_snapshot("nightly-2").status().code(), ErrorCode::kNotFound);
}

TEST_F(RepositoryTest, ListSnapshotsIsSortedByStartTime) {
  ASSERT_TRUE(repo_->save_snapshot(manifest("b", 3'000)).is_ok());
  ASSERT_TRUE(repo_->save_snapshot(manifest("c", 1'000)).is_ok());
  ASSERT_TRUE(repo_->save_snapshot(manifest("a", 2'000)).is_ok());
  ASSERT_TRUE(repo_->save_snapshot(manifest("d", -5)).is_ok());
  std::vector<std::string> damaged;
  Result<std::vector<SnapshotManifest>> list = repo_->list_snapshots(&damaged);
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  std::vector<std::string> names;
  for (const auto& m : *list) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"d", "c", "a", "b"}));
  EXPECT_TRUE(damaged.empty());
}

TEST_F(RepositoryTest, ListSnapshotsSkipsAndNamesADamagedSnapshot) {
  ASSERT_TRUE(repo_->save_snapshot(manifest("good", 1)).is_ok());
  ASSERT_TRUE(repo_->save_snapshot(manifest("bad", 2)).is_ok());
  const std::string bad = repo_->snapshot_object_name("bad");
  flip_byte_in_file(object_path(ObjectKind::kSnapshot, bad), 20);
  std::vector<std::string> damaged;
  Result<std::vector<SnapshotManifest>> list = repo_->list_snapshots(&damaged);
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "good");
  EXPECT_EQ(damaged, std::vector<std::string>{bad});
}

TEST_F(RepositoryTest, DeletedSnapshotIsGone) {
  ASSERT_TRUE(repo_->save_snapshot(manifest("keep", 1)).is_ok());
  ASSERT_TRUE(repo_->save_snapshot(manifest("drop", 2)).is_ok());
  ASSERT_TRUE(repo_->delete_snapshot("drop").is_ok());
  EXPECT_EQ(repo_->load_snapshot("drop").status().code(), ErrorCode::kNotFound);
  Result<std::vector<SnapshotManifest>> list = repo_->list_snapshots();
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "keep");
  EXPECT_EQ(repo_->delete_snapshot("drop").code(), ErrorCode::kNotFound);
}

// Snapshot object names are keyed hashes: they reveal neither the backup
// name nor (across repositories) whether two repositories hold the same name.
TEST_F(RepositoryTest, SnapshotObjectNameIsAKeyedHashOfTheBackupName) {
  const std::string name = repo_->snapshot_object_name("nightly-1");
  EXPECT_EQ(name.size(), 64u);
  EXPECT_EQ(name, repo_->snapshot_object_name("nightly-1"));
  EXPECT_NE(name, repo_->snapshot_object_name("nightly-2"));
  TempDir dir;
  std::shared_ptr<Backend> backend = new_local_backend(dir);
  ASSERT_NE(backend, nullptr);
  ASSERT_TRUE(Repository::init(backend, "pw", fast_init_options()).is_ok());
  Result<std::unique_ptr<Repository>> other = Repository::open(backend, "pw");
  ASSERT_TRUE(other.is_ok());
  EXPECT_NE((*other)->snapshot_object_name("nightly-1"), name);
}

}  // namespace
}  // namespace cairn
