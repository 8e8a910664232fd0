#include "repo/archive.h"

#include <nlohmann/json.hpp>

#include "repo/json_number.h"

namespace cairn {

using nlohmann::json;

namespace {

std::string encode_record(const ArchiveRecord& r) {
  json chunks = json::array();
  for (const ContentChunk& c : r.chunks) chunks.push_back({{"id", c.id.hex()}, {"size", c.size}});
  return json{{"version", 1},       {"stanza", r.stanza}, {"file", r.file},     {"size", r.size},
              {"sha256", r.sha256}, {"chunks", chunks},   {"stored", r.stored}, {"attributes", r.attributes}}
      .dump();
}

Result<ArchiveRecord> decode_record(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (j.at("version").get<int>() != 1) return corruption("an archive record of an unknown version");
    ArchiveRecord r;
    r.stanza = j.at("stanza").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.size = json_integer<uint64_t>(j.at("size"));
    r.sha256 = j.at("sha256").get<std::string>();
    r.stored = json_integer<int64_t>(j.at("stored"));
    for (const json& c : j.at("chunks")) {
      ContentChunk chunk;
      if (!BlobId::from_hex(c.at("id").get<std::string>(), chunk.id))
        return corruption("an archive record names a malformed blob id");
      chunk.size = json_integer<uint32_t>(c.at("size"));
      r.chunks.push_back(chunk);
    }
    r.attributes = j.at("attributes").get<std::map<std::string, std::string>>();
    return r;
  } catch (const std::exception& e) {
    return corruption(std::string("a damaged archive record: ") + e.what());
  }
}

}  // namespace

std::string archive_object_name(const Repository& repo, const std::string& stanza, const std::string& file) {
  const std::string tagged = "archive:" + stanza + "/" + file;
  return repo.hasher().id(as_bytes(tagged)).hex();
}

Status save_archive_record(Repository& repo, const ArchiveRecord& record) {
  Status s = repo.put_sealed(ObjectKind::kArchive, archive_object_name(repo, record.stanza, record.file),
                             as_bytes(encode_record(record)));
  if (s.code() == ErrorCode::kAlreadyExists)
    return already_exists("\"" + record.file + "\" of stanza " + record.stanza + " is already archived");
  return s;
}

Result<ArchiveRecord> load_archive_record(Repository& repo, const std::string& stanza,
                                          const std::string& file) {
  Result<Bytes> plain = repo.get_sealed(ObjectKind::kArchive, archive_object_name(repo, stanza, file));
  if (!plain.is_ok()) {
    if (plain.status().code() == ErrorCode::kNotFound)
      return not_found("\"" + file + "\" of stanza " + stanza + " is not in the archive");
    return plain.status();
  }
  return decode_record(as_string_view(*plain));
}

Result<ArchiveRecord> read_archive_object(Repository& repo, const std::string& object_name) {
  CAIRN_ASSIGN_OR_RETURN(Bytes plain, repo.get_sealed(ObjectKind::kArchive, object_name));
  return decode_record(as_string_view(plain));
}

Status for_each_archive_record(Repository& repo, const std::function<void(const ArchiveRecord&)>& fn,
                               size_t* damaged) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      repo.backend().list(ObjectKind::kArchive, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  for (const std::string& name : names) {
    Result<Bytes> plain = repo.get_sealed(ObjectKind::kArchive, name);
    Result<ArchiveRecord> r = plain.is_ok() ? decode_record(as_string_view(*plain)) : plain.status();
    if (r.is_ok()) {
      fn(*r);
    } else if (r.status().code() == ErrorCode::kNotFound) {
      continue;  // removed while listing
    } else if (damaged) {
      ++*damaged;
    } else {
      return r.status();
    }
  }
  return Status::ok();
}

Status delete_archive_record(Repository& repo, const std::string& stanza, const std::string& file) {
  return repo.backend().remove({ObjectKind::kArchive, archive_object_name(repo, stanza, file)});
}

Status collect_archive_blobs(Repository& repo, const std::function<void(const BlobId&)>& fn) {
  return for_each_archive_record(repo, [&](const ArchiveRecord& r) {
    for (const ContentChunk& c : r.chunks) fn(c.id);
  });
}

}  // namespace cairn
