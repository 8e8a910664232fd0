#include "repo/prune_record.h"

namespace cairn {

// PendingDeletion plaintext: "CRNP" u8 version(=1)
//   varint n, n old index names (32 bytes each)
//   varint m, m snapshot names (32 bytes each)
//   the pending packs, encoded as an index object ("CRNI"...)
// DeletionList plaintext: "CRND" u8 version(=1) varint n, n pack ids.
namespace {
constexpr char kPendingMagic[] = "CRNP";
constexpr char kListMagic[] = "CRND";
constexpr uint8_t kVersion = 1;

void write_names(ByteWriter& w, const std::vector<std::string>& names) {
  w.varint(names.size());
  for (const std::string& name : names) {
    BlobId id;
    BlobId::from_hex(name, id);
    w.raw(id.bytes);
  }
}

bool read_ids(ByteReader& r, std::vector<BlobId>& out) {
  uint64_t n;
  if (!r.varint(n) || n > r.remaining() / 32) return false;
  out.resize(n);
  for (BlobId& id : out) {
    ByteView b;
    if (!r.raw(32, b)) return false;
    std::copy(b.begin(), b.end(), id.bytes.begin());
  }
  return true;
}

bool read_header(ByteReader& r, const char* magic) {
  ByteView m;
  uint8_t version;
  return r.raw(4, m) && as_string_view(m) == std::string_view(magic, 4) && r.u8(version) &&
         version == kVersion;
}

template <typename T, typename Decode>
Result<std::optional<T>> load_record(Repository& repo, const std::string& name, Decode decode) {
  Result<Bytes> plain = repo.get_sealed(ObjectKind::kLock, name);
  if (!plain.is_ok()) {
    if (plain.status().code() == ErrorCode::kNotFound) return std::optional<T>();
    return plain.status();
  }
  CAIRN_ASSIGN_OR_RETURN(T record, decode(*plain));
  return std::optional<T>(std::move(record));
}
}  // namespace

std::string pending_deletion_name(const Repository& repo) {
  return repo.hasher().id(as_bytes(std::string_view("cairn-prune:pending-deletion"))).hex();
}

std::string deletion_list_name(const Repository& repo) {
  return repo.hasher().id(as_bytes(std::string_view("cairn-prune:deletion-list"))).hex();
}

Bytes encode_pending_deletion(const PendingDeletion& record) {
  Bytes out;
  ByteWriter w(out);
  w.raw(as_bytes(std::string_view(kPendingMagic, 4)));
  w.u8(kVersion);
  write_names(w, record.old_indexes);
  write_names(w, record.snapshots);
  Bytes packs = encode_index(record.packs);
  w.raw(packs);
  return out;
}

Result<PendingDeletion> decode_pending_deletion(ByteView data) {
  ByteReader r(data);
  if (!read_header(r, kPendingMagic)) return corruption("the prune record is not a pending deletion");
  std::vector<BlobId> indexes, snapshots;
  if (!read_ids(r, indexes) || !read_ids(r, snapshots)) return corruption("the prune record is malformed");
  PendingDeletion record;
  for (const BlobId& id : indexes) record.old_indexes.push_back(id.hex());
  for (const BlobId& id : snapshots) record.snapshots.push_back(id.hex());
  CAIRN_ASSIGN_OR_RETURN(record.packs, decode_index(data.subspan(r.position())));
  return record;
}

Bytes encode_deletion_list(const DeletionList& list) {
  Bytes out;
  ByteWriter w(out);
  w.raw(as_bytes(std::string_view(kListMagic, 4)));
  w.u8(kVersion);
  w.varint(list.packs.size());
  for (const PackId& id : list.packs) w.raw(id.bytes);
  return out;
}

Result<DeletionList> decode_deletion_list(ByteView data) {
  ByteReader r(data);
  DeletionList list;
  if (!read_header(r, kListMagic) || !read_ids(r, list.packs) || !r.at_end())
    return corruption("the prune deletion list is malformed");
  return list;
}

Result<std::optional<PendingDeletion>> load_pending_deletion(Repository& repo) {
  return load_record<PendingDeletion>(repo, pending_deletion_name(repo),
                                      [](ByteView b) { return decode_pending_deletion(b); });
}

Result<std::optional<DeletionList>> load_deletion_list(Repository& repo) {
  return load_record<DeletionList>(repo, deletion_list_name(repo),
                                   [](ByteView b) { return decode_deletion_list(b); });
}

}  // namespace cairn
