#include "repo/blob_writer.h"

#include "repo/compress.h"

namespace cairn {

// A pack's buffer is tens of MiB. Freed after each upload, the next pack
// would fault in and zero fresh pages for every byte it holds, and on the
// virtual machines we measured those faults (made while pack_mu_ is held)
// stalled the other workers for a third of a big-file backup. The buffer of
// a stored pack is kept for the next pack instead.
std::unique_ptr<PackBuilder> BlobWriter::new_pack() {
  auto pack = std::make_unique<PackBuilder>();
  {
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (!spare_buffers_.empty()) {
      pack->reuse_buffer(std::move(spare_buffers_.back()));
      spare_buffers_.pop_back();
    }
  }
  pack->reserve(pack_reservation());
  return pack;
}

// Room for the target size, one more blob of the largest size, and the header.
size_t BlobWriter::pack_reservation() const {
  return size_t{repo_.config().pack_size} + repo_.config().chunker.max_size + (1u << 20);
}

void BlobWriter::keep_buffer(Bytes&& buffer) {
  // One spare is enough: it is taken as soon as the open pack fills. A
  // buffer that grew past the reservation (a pack of tiny blobs whose
  // header overflowed it) would keep that excess resident: let it go.
  if (buffer.capacity() > pack_reservation()) return;
  std::lock_guard<std::mutex> lock(spare_mu_);
  if (spare_buffers_.empty()) spare_buffers_.push_back(std::move(buffer));
}

BlobWriter::BlobWriter(Repository& repo, int upload_threads)
    : repo_(repo),
      pack_(std::make_unique<PackBuilder>()),
      uploads_(static_cast<size_t>(std::max(1, upload_threads))),
      full_packs_(static_cast<size_t>(std::max(1, upload_threads))) {
  pack_ = new_pack();
  for (int i = 0; i < std::max(1, upload_threads); ++i) uploaders_.emplace_back([this] { upload_loop(); });
}

BlobWriter::~BlobWriter() {
  uploads_.close();
  for (auto& t : uploaders_)
    if (t.joinable()) t.join();
}

void BlobWriter::record_error(const Status& s) {
  std::lock_guard<std::mutex> lock(error_mu_);
  if (error_.is_ok()) error_ = s;
  failed_ = true;
}

Status BlobWriter::first_error() {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_;
}

Result<bool> BlobWriter::add(BlobType type, const BlobId& id, ByteView plaintext, const BlobId* delta_base) {
  if (failed_) return first_error();
  if (repo_.index().contains(id)) return false;
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    if (!inflight_.insert(id).second) return false;
    // Stored ids leave inflight_ once the index has them (see upload): one
    // indexed since the lookup above is not stored again.
    if (repo_.index().contains(id)) {
      inflight_.erase(id);
      return false;
    }
  }
  thread_local Bytes encoded, sealed;
  PackEntry entry;
  entry.id = id;
  entry.type = type;
  entry.raw_length = static_cast<uint32_t>(plaintext.size());
  ByteView body = plaintext;
  int level = repo_.config().compression_level;
  if (level > 0) {
    encode(plaintext, delta_base, level, entry, encoded);
    if (entry.compressed) body = encoded;
  }
  sealed.clear();
  repo_.sealer().seal(body, blob_associated_data(id, type), sealed);
  return append(entry, sealed);
}

void BlobWriter::encode(ByteView plaintext, const BlobId* delta_base, int level, PackEntry& entry,
                        Bytes& out) {
  std::optional<BlobId> base_id;
  if (delta_base) {
    std::optional<BlobLocation> loc = repo_.index().find(*delta_base);
    if (loc) base_id = loc->delta ? repo_.index().delta_base(*delta_base) : *delta_base;
  }
  if (!base_id) {  // most blobs: no base to try
    entry.compressed = zstd_compress(plaintext, level, out);
    return;
  }
  // A base that cannot be read only costs storing this blob whole.
  Result<Bytes> base = repo_.read_blob(*base_id);
  if (base.is_ok() && zstd_compress_against(plaintext, *base, level, out)) {
    // A few changed pages in a chunk: clearly a delta, no need to try the whole.
    bool take = out.size() * 64 <= plaintext.size();
    if (!take) {
      // A delta costs reading its base on every restore: only when it saves a quarter.
      thread_local Bytes whole;
      take = !zstd_compress(plaintext, level, whole) || out.size() * 4 < whole.size() * 3;
      if (!take) out.swap(whole);
    }
    entry.compressed = true;
    entry.delta = take;
    if (take) entry.base = *base_id;
    return;
  }
  entry.compressed = zstd_compress(plaintext, level, out);
}

Result<bool> BlobWriter::add_sealed(const PackEntry& entry, ByteView sealed) {
  if (failed_) return first_error();
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    if (!inflight_.insert(entry.id).second) return false;
  }
  return append(entry, sealed);
}

Result<bool> BlobWriter::append(const PackEntry& entry, ByteView sealed) {
  std::unique_ptr<PackBuilder> full;
  {
    std::lock_guard<std::mutex> lock(pack_mu_);
    pack_->add(entry, sealed);
    // The header counts too: a pack of tiny blobs has a header as large as
    // a third of its data, which must not overflow the buffer reserved for
    // the pack (a reallocation would hold it twice).
    if (pack_->size() + pack_->header_size() >= repo_.config().pack_size) {
      // Wait for a free uploader with the full pack still the open one, so
      // that no third pack starts filling meanwhile (the other threads wait
      // here too; when the uploader keeps up, which is the usual case, no one
      // waits at all).
      full_packs_.acquire(1);
      full = std::move(pack_);
      pack_ = new_pack();
    }
  }
  blobs_added_++;
  bytes_added_ += sealed.size();
  if (full) enqueue_pack(std::move(full));
  if (failed_) return first_error();
  return true;
}

void BlobWriter::enqueue_pack(std::unique_ptr<PackBuilder> pack) {
  // The caller holds a full_packs_ unit for this pack, and the queue has
  // room for as many packs as there are units: this push never blocks.
  if (!uploads_.push(std::move(pack))) {
    full_packs_.release(1);
    record_error(io_error("pack upload queue closed"));
  }
}

void BlobWriter::upload_loop() {
  while (auto pack = uploads_.pop()) {
    upload(std::move(*pack));  // frees the pack's memory before the next one may fill
    full_packs_.release(1);
  }
}

void BlobWriter::upload(std::unique_ptr<PackBuilder> pack) {
  if (failed_) return;  // drain without uploading after a failure
  IndexPack ip;
  ip.id.bytes = {};
  random_bytes(ip.id.bytes.data(), ip.id.bytes.size());
  {
    Bytes data = pack->finish(repo_.sealer());
    ip.blobs = pack->take_entries();
    pack.reset();
    Status s = repo_.backend().put({ObjectKind::kPack, ip.id.hex()}, data);
    if (!s.is_ok()) {
      record_error(s.with_context("storing a pack"));
      return;
    }
    keep_buffer(std::move(data));
  }
  packs_written_++;
  repo_.index().add_pack(ip);
  {
    // The index answers for these ids from now on; inflight_ only needs the
    // ones not stored yet, so it stays small however many blobs a backup adds.
    std::lock_guard<std::mutex> lock(inflight_mu_);
    for (const PackEntry& e : ip.blobs) inflight_.erase(e.id);
  }
  std::vector<IndexPack> batch;
  {
    std::lock_guard<std::mutex> lock(index_mu_);
    unindexed_blobs_ += ip.blobs.size();
    unindexed_.push_back(std::move(ip));
    if (unindexed_.size() >= kIndexEveryPacks || unindexed_blobs_ >= kIndexEveryBlobs) {
      batch.swap(unindexed_);
      unindexed_blobs_ = 0;
    }
  }
  if (!batch.empty()) {
    Status is = write_index(std::move(batch));
    if (!is.is_ok()) record_error(is);
  }
}

Status BlobWriter::write_index(std::vector<IndexPack> packs) {
  Bytes plain = encode_index(packs);
  return repo_.put_sealed(ObjectKind::kIndex, random_object_name(), plain).with_context("storing an index");
}

Status BlobWriter::flush() {
  if (flushed_) return first_error();
  flushed_ = true;
  {
    std::unique_ptr<PackBuilder> last;
    {
      std::lock_guard<std::mutex> lock(pack_mu_);
      if (pack_->count() > 0) last = std::move(pack_);
      pack_ = std::make_unique<PackBuilder>();
    }
    if (last) {
      full_packs_.acquire(1);
      enqueue_pack(std::move(last));
    }
  }
  uploads_.close();
  for (auto& t : uploaders_) t.join();
  uploaders_.clear();
  if (failed_) return first_error();
  std::vector<IndexPack> rest;
  {
    std::lock_guard<std::mutex> lock(index_mu_);
    rest.swap(unindexed_);
  }
  if (!rest.empty()) CAIRN_RETURN_IF_ERROR(write_index(std::move(rest)));
  return Status::ok();
}

}  // namespace cairn
