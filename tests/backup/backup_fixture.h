// A repository in a temp folder, with helpers to back up and restore
// through the real pipeline (in process).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "repo/repository.h"
#include "restore/restorer.h"
#include "source/fs/fs_backup.h"
#include "storage/local_backend.h"
#include "support/temp_dir.h"

namespace cairn {

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_path_ = tmp_.file("repo");
    auto backend = create_local_backend(repo_path_);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    InitOptions init;
    init.kdf.memory_kib = 8 * 1024;
    init.kdf.iterations = 1;
    init.pack_size = pack_size_;
    ASSERT_TRUE(Repository::init(std::shared_ptr<Backend>(std::move(*backend)), "pw", init).is_ok());
    reopen();
  }

  // A fresh Repository on the same folder, as a new process would see it.
  void reopen() {
    auto backend = open_local_backend(repo_path_);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    auto repo = Repository::open(std::shared_ptr<Backend>(std::move(*backend)), "pw");
    ASSERT_TRUE(repo.is_ok()) << repo.status().message();
    repo_ = std::move(*repo);
    ASSERT_TRUE(repo_->load_index().is_ok());
  }

  SnapshotManifest backup(const std::string& name, const std::vector<std::string>& paths,
                          FsBackupOptions options = {}) {
    options.name = name;
    options.paths = paths;
    reopen();
    auto m = run_fs_backup(*repo_, options, nullptr);
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    return m.is_ok() ? *m : SnapshotManifest{};
  }

  RestoreResult restore(const std::string& name, const std::string& target,
                        const std::vector<std::string>& includes = {}) {
    reopen();
    auto snap = repo_->load_snapshot(name);
    EXPECT_TRUE(snap.is_ok()) << snap.status().message();
    RestoreOptions options;
    options.target = target;
    options.includes = includes;
    options.restore_owner = geteuid() == 0;
    if (restore_window_ > 0) options.window_entries = restore_window_;
    auto r = restore_snapshot(*repo_, *snap, options, nullptr);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : RestoreResult{};
  }

  TempDir tmp_;
  std::string repo_path_;
  uint32_t pack_size_ = 4u << 20;
  size_t restore_window_ = 0;  // 0: the restorer's default
  std::unique_ptr<Repository> repo_;
};

}  // namespace cairn
