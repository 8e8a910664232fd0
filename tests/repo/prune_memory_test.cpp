// The memory a prune needs per blob, measured on a synthetic repository:
// index objects naming $CAIRN_PRUNE_MEMORY_BLOBS blobs (default one
// million) in packs of 64, half of them referenced by one backup whose
// 1000 folders name 500 chunks each. The packs themselves are never
// written (prune reads only the index, trees and, to repack, packs; here
// nothing is repacked). Disabled in CI; run with
//   build/tests/test_repo --gtest_filter='*PruneMemory*' --gtest_also_run_disabled_tests
#include <gtest/gtest.h>
#include <malloc.h>

#include <fstream>

#include "common/clock.h"
#include "repo/prune.h"
#include "repo/repo_test_util.h"

namespace cairn {
namespace {

// kB from /proc/self/status ("VmRSS", "VmHWM").
uint64_t status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  return 0;
}

class PruneMemoryTest : public RepoTest {};

TEST_F(PruneMemoryTest, DISABLED_PeakMemoryPerMillionBlobs) {
  const char* env = std::getenv("CAIRN_PRUNE_MEMORY_BLOBS");
  const size_t blobs = env ? std::strtoull(env, nullptr, 10) : 1000000;
  constexpr size_t kPerPack = 64, kFolders = 1000;
  std::mt19937_64 rng(1);
  auto random_id = [&] {
    BlobId id;
    for (size_t i = 0; i < 32; i += 8) {
      uint64_t v = rng();
      std::memcpy(id.bytes.data() + i, &v, 8);
    }
    return id;
  };
  std::vector<BlobId> referenced;
  {
    std::vector<IndexPack> batch;
    for (size_t done = 0; done < blobs; done += kPerPack) {
      IndexPack p;
      p.id = random_id();
      bool live = (done / kPerPack) % 2 == 0;
      for (size_t i = 0; i < kPerPack; ++i) {
        PackEntry e;
        e.id = random_id();
        e.offset = static_cast<uint32_t>(i * 1000);
        e.length = 1000;
        e.raw_length = 900;
        p.blobs.push_back(e);
        if (live) referenced.push_back(e.id);
      }
      batch.push_back(std::move(p));
      if (batch.size() == 1000) {
        ASSERT_TRUE(repo_->put_sealed(ObjectKind::kIndex, random_object_name(), encode_index(batch)).is_ok());
        batch.clear();
      }
    }
    if (!batch.empty()) {
      ASSERT_TRUE(repo_->put_sealed(ObjectKind::kIndex, random_object_name(), encode_index(batch)).is_ok());
    }
  }
  {
    BlobWriter writer(*repo_);
    Tree root;
    size_t per_folder = (referenced.size() + kFolders - 1) / kFolders;
    for (size_t f = 0; f < kFolders; ++f) {
      Tree t;
      Node file;
      file.name = "f";
      file.type = NodeType::kFile;
      for (size_t i = f * per_folder; i < std::min(referenced.size(), (f + 1) * per_folder); ++i)
        file.content.push_back({referenced[i], 900});
      t.nodes.push_back(file);
      Bytes enc = encode_tree(t);
      BlobId id = repo_->hasher().id(enc);
      ASSERT_TRUE(writer.add(BlobType::kTree, id, enc).is_ok());
      Node dir;
      char name[16];
      std::snprintf(name, sizeof name, "d%04zu", f);
      dir.name = name;
      dir.type = NodeType::kDirectory;
      dir.subtree = id;
      root.nodes.push_back(dir);
    }
    Bytes enc = encode_tree(root);
    SnapshotManifest m;
    m.name = "synthetic";
    m.status = BackupStatus::kCompleted;
    m.tree = repo_->hasher().id(enc);
    ASSERT_TRUE(writer.add(BlobType::kTree, m.tree, enc).is_ok());
    ASSERT_TRUE(writer.flush().is_ok());
    ASSERT_TRUE(repo_->save_snapshot(m).is_ok());
  }
  referenced = {};
  std::unique_ptr<Repository> repo = open_again();
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
  const uint64_t base = status_kb("VmRSS");
  double t0 = monotonic_seconds();
  PruneOptions options;
  options.max_repack_ratio = 1;
  Result<PruneReport> r = prune_repository(*repo, options);
  double secs = monotonic_seconds() - t0;
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const uint64_t peak = status_kb("VmHWM");
  EXPECT_EQ(r->packs_deleted, (blobs / kPerPack) / 2);
  std::printf("prune of %zu blobs (%llu packs): peak RSS grew by %.1f MB (%.0f bytes per blob) in %.1f s\n",
              blobs, static_cast<unsigned long long>(r->packs), (peak - base) / 1024.0,
              (peak - base) * 1024.0 / static_cast<double>(blobs), secs);
}

}  // namespace
}  // namespace cairn
