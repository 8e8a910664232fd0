// Fetching blobs pack by pack and writing them into the restored files.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
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

// Writes a blob's plaintext (or the reason it has none) to each of its uses.
void write_uses(const std::vector<BlobUse>& uses, const Result<Bytes>& plain,
                const RestoreOwnership& ownership, RestoreProgress& progress) {
  for (const BlobUse& use : uses) {
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

// A delta blob of the restore, rebuilt once its base is read. Its own
// sealed bytes are fetched first (deltas are small), so that each base is
// then read in the same pass, and the same ranged reads, as the whole blobs
// around it, instead of one synchronous request per delta.
struct DeltaJob {
  PackBlob blob;
  Result<Bytes> sealed = Bytes{};
};

// One blob in a ranged read: written to its uses, kept for later (a delta
// fetched ahead of its base), or used as the base of deltas (or both, when
// the restore needs the base's own bytes too).
struct RangeBlob {
  PackBlob blob;
  DeltaJob* stash = nullptr;
  std::vector<DeltaJob*> dependents;
};

// One ranged read of a pack and the blobs it covers.
struct PackRange {
  uint32_t pack = 0;
  uint64_t start = 0, end = 0;
  std::vector<RangeBlob> blobs;  // sorted by offset, each blob once
};

// Cuts a pack's blobs (sorted by offset, each once) into ranged reads: blobs
// closer than kMaxGap share a read, no read is above kMaxRead. Ranges, not
// packs, are the unit of work, so that a restore from few large packs still
// keeps every thread busy.
void plan_ranges(uint32_t pack, std::vector<RangeBlob>& blobs, std::vector<PackRange>& out) {
  size_t i = 0;
  while (i < blobs.size()) {
    const BlobLocation& first = blobs[i].blob.loc;
    PackRange r{pack, first.offset, uint64_t{first.offset} + first.length, {}};
    size_t j = i + 1;
    while (j < blobs.size() && blobs[j].blob.loc.offset <= r.end + kMaxGap &&
           blobs[j].blob.loc.offset + blobs[j].blob.loc.length - r.start <= kMaxRead) {
      r.end = std::max<uint64_t>(r.end, uint64_t{blobs[j].blob.loc.offset} + blobs[j].blob.loc.length);
      ++j;
    }
    r.blobs.assign(std::make_move_iterator(blobs.begin() + static_cast<ptrdiff_t>(i)),
                   std::make_move_iterator(blobs.begin() + static_cast<ptrdiff_t>(j)));
    out.push_back(std::move(r));
    i = j;
  }
}

// Rebuilds the deltas of a base from its plaintext (or passes on why there
// is none) and writes them.
void rebuild_dependents(Repository& repo, const RangeBlob& rb, const Result<Bytes>& base,
                        const RestoreOwnership& ownership, RestoreProgress& progress) {
  for (DeltaJob* job : rb.dependents) {
    Result<Bytes> plain = Bytes{};
    if (!job->sealed.is_ok())
      plain = job->sealed.status();
    else if (!base.is_ok())
      plain = base.status().with_context("blob " + job->blob.id.hex().substr(0, 16) +
                                         " cannot be rebuilt from its base");
    else
      plain = repo.open_blob(job->blob.id, job->blob.loc, *job->sealed, &*base);
    job->sealed = Bytes{};
    write_uses(job->blob.uses, plain, ownership, progress);
  }
}

void restore_range(Repository& repo, PackRange& range, const RestoreOwnership& ownership,
                   RestoreProgress& progress) {
  ObjectKey key{ObjectKind::kPack, repo.index().pack_id(range.pack).hex()};
  Result<Bytes> data = repo.backend().get(key, range.start, range.end - range.start);
  if (!data.is_ok() && data.status().code() == ErrorCode::kNotFound)
    data = corruption("pack " + key.name.substr(0, 16) + " is missing");
  for (RangeBlob& rb : range.blobs) {
    const PackBlob& b = rb.blob;
    if (!data.is_ok()) {
      if (rb.stash) rb.stash->sealed = data.status();
      write_uses(b.uses, data.status(), ownership, progress);
      rebuild_dependents(repo, rb, data.status(), ownership, progress);
      continue;
    }
    ByteView sealed(data->data() + (b.loc.offset - range.start), b.loc.length);
    if (rb.stash) {
      rb.stash->sealed = Bytes(sealed.begin(), sealed.end());
      continue;
    }
    if (!b.uses.empty()) {
      Result<Bytes> plain = repo.open_blob(b.id, b.loc, sealed);
      write_uses(b.uses, plain, ownership, progress);
      rebuild_dependents(repo, rb, plain, ownership, progress);
    } else {
      rebuild_dependents(repo, rb, repo.open_delta_base(b.id, b.loc, sealed), ownership, progress);
    }
  }
}

// Runs fn over every range on n threads.
void run_ranges(std::vector<PackRange>& work, int threads, const std::function<void(PackRange&)>& fn) {
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i; (i = next.fetch_add(1)) < work.size();) fn(work[i]);
  };
  std::vector<std::thread> pool;
  const int n = std::min<int>(threads, static_cast<int>(work.size()));
  for (int t = 1; t < n; ++t) pool.emplace_back(loop);
  loop();
  for (auto& t : pool) t.join();
}

// Sorts a pack's blobs by offset and merges uses of the same blob, so that
// each is fetched and decrypted once.
std::vector<PackBlob> merge_blobs(std::vector<PackBlob>& blobs) {
  std::sort(blobs.begin(), blobs.end(),
            [](const PackBlob& a, const PackBlob& b) { return a.loc.offset < b.loc.offset; });
  std::vector<PackBlob> merged;
  for (PackBlob& b : blobs) {
    if (!merged.empty() && merged.back().id == b.id)
      merged.back().uses.insert(merged.back().uses.end(), b.uses.begin(), b.uses.end());
    else
      merged.push_back(std::move(b));
  }
  return merged;
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
  // Deltas whose sealed bytes are held between the two passes: past this
  // much they are rebuilt the slow way, each reading its own base.
  constexpr uint64_t kMaxStashed = 256u << 20;
  uint64_t stashed = 0;
  std::vector<std::unique_ptr<DeltaJob>> jobs;
  // pack -> blobs of the second pass (whole blobs and bases), by offset;
  // pack -> deltas fetched in the first pass.
  std::map<uint32_t, std::map<uint32_t, RangeBlob>> whole;
  std::map<uint32_t, std::vector<RangeBlob>> deltas;
  auto whole_slot = [&](const BlobId& id, const BlobLocation& loc) -> RangeBlob& {
    RangeBlob& rb = whole[loc.pack][loc.offset];
    rb.blob.id = id;
    rb.blob.loc = loc;
    return rb;
  };
  for (auto& [pack, blobs] : plan.packs) {
    for (PackBlob& b : merge_blobs(blobs)) {
      std::optional<BlobId> base_id = b.loc.delta ? repo.index().delta_base(b.id) : std::nullopt;
      std::optional<BlobLocation> base_loc = base_id ? repo.index().find(*base_id) : std::nullopt;
      // A delta without a usable base goes the slow way, where open_blob
      // says what is wrong with it.
      if (!base_loc || base_loc->delta || stashed + b.loc.length > kMaxStashed) {
        std::vector<BlobUse>& uses = whole_slot(b.id, b.loc).blob.uses;
        uses.insert(uses.end(), b.uses.begin(), b.uses.end());
        continue;
      }
      stashed += b.loc.length;
      jobs.push_back(std::make_unique<DeltaJob>(DeltaJob{std::move(b)}));
      deltas[pack].push_back(
          RangeBlob{PackBlob{jobs.back()->blob.id, jobs.back()->blob.loc, {}}, jobs.back().get(), {}});
      whole_slot(*base_id, *base_loc).dependents.push_back(jobs.back().get());
    }
  }
  plan.packs.clear();

  const int threads = thread_count(options.threads, repo.backend().properties().preferred_concurrency);
  RestoreOwnership ownership{options.restore_owner};
  auto run = [&](std::vector<PackRange>& work) {
    run_ranges(work, threads, [&](PackRange& r) { restore_range(repo, r, ownership, progress); });
  };
  // In pack order, so that each pack is read front to back.
  std::vector<PackRange> first;
  for (auto& [pack, blobs] : deltas) plan_ranges(pack, blobs, first);
  run(first);
  first.clear();
  std::vector<PackRange> second;
  for (auto& [pack, by_offset] : whole) {
    std::vector<RangeBlob> blobs;
    blobs.reserve(by_offset.size());
    for (auto& [offset, rb] : by_offset) blobs.push_back(std::move(rb));
    plan_ranges(pack, blobs, second);
  }
  run(second);
}

}  // namespace cairn
