// In-process repositories for the crash and fault tests: a pristine
// repository holding one backup (b1 of src1), copied afresh for every case,
// so each case starts from the same state and sees only its own damage.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "repo/check.h"
#include "repo/repository.h"
#include "restore/restorer.h"
#include "source/fs/fs_backup.h"
#include "storage/local_backend.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {

constexpr char kPassword[] = "crash-test";

class PristineRepoTest : public ::testing::Test {
 protected:
  // src1: a few folders of files (3 MB); src2: the same plus changes (a
  // rewritten file, new files: 3 MB more). pristine: b1 of src1.
  void SetUp() override {
    src1_ = tmp_.file("src1");
    src2_ = tmp_.file("src2");
    for (int i = 0; i < 6; ++i) {
      std::string rel = "/d" + std::to_string(i % 3) + "/f" + std::to_string(i);
      make_random_file(src1_ + rel, 100000 * (i + 1) + i, i);
      make_random_file(src2_ + rel, 100000 * (i + 1) + i, i == 2 ? 99 : i);
    }
    make_random_file(src2_ + "/d1/new-big", 2500000, 50);
    make_random_file(src2_ + "/new/small", 3000, 51);
    std::filesystem::create_directories(src2_ + "/empty");
    pristine_ = tmp_.file("pristine");
    auto backend = create_local_backend(pristine_);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    InitOptions init;
    init.kdf.memory_kib = 8 * 1024;
    init.kdf.iterations = 1;
    init.pack_size = 1u << 20;
    ASSERT_TRUE(Repository::init(std::shared_ptr<Backend>(std::move(*backend)), kPassword, init).is_ok());
    auto b1 = backup(local(pristine_), "b1", src1_);
    ASSERT_TRUE(b1.is_ok()) << b1.status().message();
  }

  // A fresh copy of the pristine repository; returns its path.
  std::string fresh_copy() {
    std::string path = tmp_.file("case-" + std::to_string(++cases_));
    std::filesystem::copy(pristine_, path, std::filesystem::copy_options::recursive);
    return path;
  }

  static std::shared_ptr<Backend> local(const std::string& path) {
    auto backend = open_local_backend(path);
    EXPECT_TRUE(backend.is_ok()) << backend.status().message();
    return backend.is_ok() ? std::shared_ptr<Backend>(std::move(*backend)) : nullptr;
  }

  // What a new process does: open with the password, load the index, back up.
  static Result<SnapshotManifest> backup(std::shared_ptr<Backend> backend, const std::string& name,
                                         const std::string& src) {
    CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo, Repository::open(backend, kPassword));
    CAIRN_RETURN_IF_ERROR(repo->load_index());
    FsBackupOptions options;
    options.name = name;
    options.paths = {src};
    return run_fs_backup(*repo, options, nullptr);
  }

  static std::unique_ptr<Repository> open_plain(const std::string& path) {
    auto repo = Repository::open(local(path), kPassword);
    EXPECT_TRUE(repo.is_ok()) << repo.status().message();
    if (!repo.is_ok()) return nullptr;
    EXPECT_TRUE((*repo)->load_index().is_ok());
    return std::move(*repo);
  }

  // check --read-data finds nothing wrong.
  static void expect_check_passes(const std::string& path) {
    auto repo = open_plain(path);
    ASSERT_NE(repo, nullptr);
    auto report = check_repository(*repo, CheckOptions{.read_data = true, .threads = 2}, nullptr);
    ASSERT_TRUE(report.is_ok()) << report.status().message();
    for (const auto& p : report->problems) ADD_FAILURE() << "check: " << p.object << ": " << p.message;
  }

  // Backup `name` restores to exactly src.
  void expect_restores(const std::string& path, const std::string& name, const std::string& src) {
    auto repo = open_plain(path);
    ASSERT_NE(repo, nullptr);
    auto snap = repo->load_snapshot(name);
    ASSERT_TRUE(snap.is_ok()) << snap.status().message();
    EXPECT_EQ(snap->status, BackupStatus::kCompleted);
    std::string out = tmp_.file("restore-" + std::to_string(++cases_));
    RestoreOptions options{.target = out, .restore_owner = geteuid() == 0};
    auto r = restore_snapshot(*repo, *snap, options, nullptr);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_TRUE(r->errors.empty()) << r->errors.front().path << ": " << r->errors.front().message;
    EXPECT_EQ(compare_trees(src, out + src), std::vector<std::string>{}) << name;
    std::filesystem::remove_all(out);
  }

  // Backup `name` is either absent or complete and restores to src.
  void expect_absent_or_whole(const std::string& path, const std::string& name, const std::string& src,
                              bool* present = nullptr) {
    auto repo = open_plain(path);
    ASSERT_NE(repo, nullptr);
    auto snap = repo->load_snapshot(name);
    if (present) *present = snap.is_ok();
    if (!snap.is_ok()) {
      EXPECT_EQ(snap.status().code(), ErrorCode::kNotFound) << snap.status().message();
      return;
    }
    expect_restores(path, name, src);
  }

  TempDir tmp_;
  std::string src1_, src2_, pristine_;
  int cases_ = 0;
};

}  // namespace cairn
