// Fetching blobs pack by pack and writing them into the restored files.
#include <algorithm>
#include <atomic>
#include <thread>

#include "common/log.h"
#include "restore/restorer_internal.h"

namespace cairn {

namespace {
// Blobs closer than this in a pack are fetched in one read; the gap bytes
// cost less than another request. Reads are capped to bound memory: at
// most one read per thread is held (16 threads x 8 MiB from S3).
constexpr uint64_t kMaxGap = 1u << 20;
constexpr uint64_t kMaxRead = 8u << 20;

int thread_count(int requested, int backend_concurrency) {
  if (requested > 0) return requested;
  // Writing restored files waits on the disk; more threads than cores helps.
  // A remote store waits on round trips too: keep its requests in flight.
  const int local = static_cast<int>(std::max(2u, std::thread::hardware_concurrency() * 2));
  return std::max(local, backend_concurrency);
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

// One ranged read of a pack and the blobs it covers.
struct PackRange {
  uint32_t pack = 0;
  uint64_t start = 0, end = 0;
  std::vector<PackBlob> blobs;  // sorted by offset, each blob once
};

// Cuts a pack's blobs into ranged reads: blobs closer than kMaxGap share a
// read, no read is above kMaxRead. Ranges, not packs, are the unit of work,
// so that a restore from few large packs still keeps every thread busy.
void plan_ranges(uint32_t pack, std::vector<PackBlob>& blobs, std::vector<PackRange>& out) {
  std::sort(blobs.begin(), blobs.end(),
            [](const PackBlob& a, const PackBlob& b) { return a.loc.offset < b.loc.offset; });
  // Merge uses of the same blob so it is decrypted once.
  std::vector<PackBlob> merged;
  for (PackBlob& b : blobs) {
    if (!merged.empty() && merged.back().id == b.id)
      merged.back().uses.insert(merged.back().uses.end(), b.uses.begin(), b.uses.end());
    else
      merged.push_back(std::move(b));
  }
  size_t i = 0;
  while (i < merged.size()) {
    PackRange r{pack, merged[i].loc.offset, merged[i].loc.offset + merged[i].loc.length, {}};
    size_t j = i + 1;
    while (j < merged.size() && merged[j].loc.offset <= r.end + kMaxGap &&
           merged[j].loc.offset + merged[j].loc.length - r.start <= kMaxRead) {
      r.end = std::max<uint64_t>(r.end, merged[j].loc.offset + merged[j].loc.length);
      ++j;
    }
    r.blobs.assign(std::make_move_iterator(merged.begin() + static_cast<ptrdiff_t>(i)),
                   std::make_move_iterator(merged.begin() + static_cast<ptrdiff_t>(j)));
    out.push_back(std::move(r));
    i = j;
  }
}

void restore_range(Repository& repo, PackRange& range, const RestoreOwnership& ownership,
                   RestoreProgress& progress) {
  ObjectKey key{ObjectKind::kPack, repo.index().pack_id(range.pack).hex()};
  Result<Bytes> data = repo.backend().get(key, range.start, range.end - range.start);
  for (const PackBlob& b : range.blobs) {
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
    ByteView sealed(data->data() + (b.loc.offset - range.start), b.loc.length);
    write_blob(repo, b, sealed, ownership, progress);
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

void restore_data(Repository& repo, RestorePlan& plan, const RestoreOptions& options,
                  RestoreProgress& progress) {
  std::vector<uint32_t> packs;
  for (auto& [pack, blobs] : plan.packs)
    if (!blobs.empty()) packs.push_back(pack);
  std::sort(packs.begin(), packs.end());
  // In pack order, so that each pack is read front to back.
  std::vector<PackRange> work;
  for (uint32_t pack : packs) plan_ranges(pack, plan.packs[pack], work);
  RestoreOwnership ownership{options.restore_owner};
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i; (i = next.fetch_add(1)) < work.size();) restore_range(repo, work[i], ownership, progress);
  };
  std::vector<std::thread> threads;
  int n = std::min<int>(thread_count(options.threads, repo.backend().properties().preferred_concurrency),
                        static_cast<int>(work.size()));
  for (int t = 1; t < n; ++t) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
}

}  // namespace cairn
