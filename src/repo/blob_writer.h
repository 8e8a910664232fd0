// BlobWriter: the one way new blobs enter a repository.
//
// add() deduplicates against the index and against blobs added earlier
// through this writer, compresses, seals and appends to the open pack. Full
// packs are uploaded by background threads; an index object naming them is
// written every kIndexEveryPacks packs or kIndexEveryBlobs blobs and at
// flush(), so an interrupted backup still leaves reusable, indexed packs
// behind. Memory is bounded by the open pack plus one pack per upload
// thread: a full pack stays the open one until an uploader is free, rather
// than waiting in a queue while a new pack fills. A queued pack would only
// add a pack of memory: the uploader stores a pack in a fraction of the
// time the workers take to fill the next.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/bounded_queue.h"
#include "repo/pack.h"
#include "repo/repository.h"

namespace cairn {

class BlobWriter {
 public:
  static constexpr size_t kIndexEveryPacks = 64;
  // Also after this many blobs, so that the entries waiting for an index stay
  // a few MiB even when packs hold hundreds of thousands of tiny blobs.
  static constexpr size_t kIndexEveryBlobs = 100000;

  explicit BlobWriter(Repository& repo, int upload_threads = 1);
  ~BlobWriter();  // without flush(): uploads stop; packs already stored stay (prune removes them)

  // Thread-safe. Returns true when the blob was stored, false when the
  // repository (or this writer) already has it. An error means an earlier
  // upload failed; the backup cannot complete.
  //
  // delta_base names an indexed blob this one probably differs from in a
  // few bytes (the same chunk of a file changed in place): the blob is then
  // stored as a delta against it (or against its base, if it is a delta
  // itself) when that is smaller than storing it whole. It costs reading
  // the base, so only callers that expect in-place changes pass one.
  Result<bool> add(BlobType type, const BlobId& id, ByteView plaintext, const BlobId* delta_base = nullptr);

  // Appends a blob already sealed elsewhere (prune copying live blobs out
  // of a pack it repacks), unchanged: no decryption needed. entry's
  // offset and length are set here. Deduplicates only against blobs added
  // through this writer, since the index still names the old copy.
  Result<bool> add_sealed(const PackEntry& entry, ByteView sealed);

  // Uploads the open pack, waits for every upload and writes the index.
  // Everything added is durable when this returns ok. Call once.
  Status flush();

  uint64_t blobs_added() const { return blobs_added_; }
  uint64_t bytes_added() const { return bytes_added_; }  // sealed bytes in packs
  uint64_t packs_written() const { return packs_written_; }

 private:
  Result<bool> append(const PackEntry& entry, ByteView sealed);
  // Compresses plaintext into out, as a delta against base when that is
  // smaller (entry says which).
  void encode(ByteView plaintext, const BlobId* delta_base, int level, PackEntry& entry, Bytes& out);
  std::unique_ptr<PackBuilder> new_pack();
  void keep_buffer(Bytes&& buffer);
  size_t pack_reservation() const;
  void upload_loop();
  void upload(std::unique_ptr<PackBuilder> pack);
  void enqueue_pack(std::unique_ptr<PackBuilder> pack);
  Status write_index(std::vector<IndexPack> packs);
  void record_error(const Status& s);
  Status first_error();

  Repository& repo_;
  std::mutex inflight_mu_;
  std::unordered_set<BlobId, BlobIdHash> inflight_;
  std::mutex pack_mu_;
  std::unique_ptr<PackBuilder> pack_;
  BoundedQueue<std::unique_ptr<PackBuilder>> uploads_;
  ByteBudget full_packs_;  // full packs held, at most one per upload thread
  std::vector<std::thread> uploaders_;
  std::mutex spare_mu_;
  std::vector<Bytes> spare_buffers_;
  std::mutex index_mu_;
  std::vector<IndexPack> unindexed_;
  size_t unindexed_blobs_ = 0;
  std::mutex error_mu_;
  Status error_;
  std::atomic<bool> failed_{false};
  bool flushed_ = false;
  std::atomic<uint64_t> blobs_added_{0}, bytes_added_{0}, packs_written_{0};
};

}  // namespace cairn
