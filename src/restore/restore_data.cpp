// Fetching blobs pack by pack and writing them into the restored files.
#include <algorithm>
#include <atomic>
#include <thread>

#include "common/log.h"
#include "restore/restorer_internal.h"

namespace cairn {

namespace {
// Blobs closer than this in a pack are fetched in one read; the gap bytes
// cost less than another request. Reads are capped to bound memory.
constexpr uint64_t kMaxGap = 1u << 20;
constexpr uint64_t kMaxRead = 16u << 20;

int thread_count(int requested) {
  if (requested > 0) return requested;
  // Writing restored files waits on the disk; more threads than cores helps.
  return static_cast<int>(std::max(2u, std::thread::hardware_concurrency() * 2));
}

void write_blob(Repository& repo, const PackBlob& blob, ByteView sealed, const RestoreOwnership& ownership,
                RestoreProgress& progress) {
  Result<Bytes> plain = repo.open_blob(blob.id, blob.loc, sealed);
  for (const BlobUse& use : blob.uses) {
    RestoreFile& file = *use.file;
    if (!plain.is_ok()) {
      fail_file(file, plain.status().message());
    } else {
      Status s;
      {
        std::lock_guard<std::mutex> lock(file.mu);
        if (!file.failed && !file.writer) {
          Result<std::unique_ptr<FileWriter>> w = FileWriter::create(file.path, file.node);
          if (w.is_ok())
            file.writer = std::move(*w);
          else
            s = w.status();
        }
      }
      if (s.is_ok() && !file.failed) s = file.writer->write_at(use.offset, *plain);
      if (!s.is_ok()) fail_file(file, s.message());
    }
    chunk_written(file, ownership, progress);
  }
}

void restore_pack(Repository& repo, uint32_t pack, std::vector<PackBlob>& blobs, const RestoreOwnership& ownership,
                  RestoreProgress& progress) {
  std::sort(blobs.begin(), blobs.end(), [](const PackBlob& a, const PackBlob& b) { return a.loc.offset < b.loc.offset; });
  // Merge uses of the same blob so it is decrypted once.
  std::vector<PackBlob> merged;
  for (PackBlob& b : blobs) {
    if (!merged.empty() && merged.back().id == b.id)
      merged.back().uses.insert(merged.back().uses.end(), b.uses.begin(), b.uses.end());
    else
      merged.push_back(std::move(b));
  }
  ObjectKey key{ObjectKind::kPack, repo.index().pack_id(pack).hex()};
  size_t i = 0;
  while (i < merged.size()) {
    uint64_t start = merged[i].loc.offset;
    uint64_t end = start + merged[i].loc.length;
    size_t j = i + 1;
    while (j < merged.size() && merged[j].loc.offset <= end + kMaxGap &&
           merged[j].loc.offset + merged[j].loc.length - start <= kMaxRead) {
      end = std::max<uint64_t>(end, merged[j].loc.offset + merged[j].loc.length);
      ++j;
    }
    Result<Bytes> data = repo.backend().get(key, start, end - start);
    for (size_t k = i; k < j; ++k) {
      const PackBlob& b = merged[k];
      if (!data.is_ok()) {
        std::string why = data.status().code() == ErrorCode::kNotFound
                              ? "pack " + key.name.substr(0, 16) + " is missing"
                              : data.status().message();
        for (const BlobUse& use : b.uses) {
          fail_file(*use.file, why);
          chunk_written(*use.file, ownership, progress);
        }
        continue;
      }
      ByteView sealed(data->data() + (b.loc.offset - start), b.loc.length);
      write_blob(repo, b, sealed, ownership, progress);
    }
    i = j;
  }
}
}  // namespace

void fail_file(RestoreFile& file, const std::string& message) {
  std::lock_guard<std::mutex> lock(file.mu);
  if (file.failed) return;
  file.failed = true;
  file.error = message;
  file.writer.reset();  // removes the temp file
}

void chunk_written(RestoreFile& file, const RestoreOwnership& ownership, RestoreProgress& progress) {
  if (file.pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::lock_guard<std::mutex> lock(file.mu);
  if (file.failed) {
    progress.errors++;
    return;
  }
  if (!file.writer) {
    Result<std::unique_ptr<FileWriter>> w = FileWriter::create(file.path, file.node);
    if (!w.is_ok()) {
      file.failed = true;
      file.error = w.status().message();
      progress.errors++;
      return;
    }
    file.writer = std::move(*w);
  }
  Status s = file.writer->commit(ownership);
  file.writer.reset();
  if (!s.is_ok()) {
    file.failed = true;
    file.error = s.message();
    progress.errors++;
    return;
  }
  progress.files_done++;
  progress.bytes_done += file.node.size;
}

void restore_data(Repository& repo, RestorePlan& plan, const RestoreOptions& options, RestoreProgress& progress) {
  std::vector<std::pair<uint32_t, std::vector<PackBlob>*>> work;
  for (auto& [pack, blobs] : plan.packs)
    if (!blobs.empty()) work.emplace_back(pack, &blobs);
  std::sort(work.begin(), work.end());
  RestoreOwnership ownership{options.restore_owner};
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i; (i = next.fetch_add(1)) < work.size();)
      restore_pack(repo, work[i].first, *work[i].second, ownership, progress);
  };
  std::vector<std::thread> threads;
  int n = std::min<int>(thread_count(options.threads), static_cast<int>(work.size()));
  for (int t = 1; t < n; ++t) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
}

}  // namespace cairn
