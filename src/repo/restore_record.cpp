#include "repo/restore_record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cairn {

using json = nlohmann::json;

namespace {
constexpr int kVersion = 1;

Bytes encode(const RestoreRecord& r) {
  json items = json::array();
  for (const RestoreItem& i : r.items) {
    items.push_back({{"resource", i.resource},
                     {"namespace", i.namespace_},
                     {"name", i.name},
                     {"outcome", i.outcome},
                     {"reason", i.reason}});
  }
  const json j = {
      {"version", kVersion},    {"name", r.name},       {"backup", r.backup},       {"source", r.source},
      {"status", r.status},     {"started", r.started}, {"completed", r.completed}, {"errors", r.errors},
      {"warnings", r.warnings}, {"items", items}};
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return Bytes(text.begin(), text.end());
}

Result<RestoreRecord> decode(ByteView data) {
  try {
    const json j = json::parse(as_string_view(data));
    if (j.value("version", 0) != kVersion) return corruption("a restore record has an unknown version");
    RestoreRecord r;
    r.name = j.at("name").get<std::string>();
    r.backup = j.at("backup").get<std::string>();
    r.source = j.value("source", "");
    r.status = j.at("status").get<std::string>();
    r.started = j.at("started").get<TimeNs>();
    r.completed = j.at("completed").get<TimeNs>();
    r.errors = j.value("errors", std::vector<std::string>{});
    r.warnings = j.value("warnings", std::vector<std::string>{});
    for (const json& i : j.value("items", json::array())) {
      r.items.push_back({i.value("resource", ""), i.value("namespace", ""), i.value("name", ""),
                         i.value("outcome", ""), i.value("reason", "")});
    }
    return r;
  } catch (const json::exception&) {
    return corruption("a restore record is not valid JSON");
  }
}
}  // namespace

std::string restore_object_name(const Repository& repo, const std::string& restore_name) {
  return repo.hasher().id(as_bytes(std::string_view("restore-name:" + restore_name))).hex();
}

Status save_restore_record(Repository& repo, const RestoreRecord& record) {
  Status s = repo.put_sealed(ObjectKind::kRestore, restore_object_name(repo, record.name), encode(record));
  if (s.code() == ErrorCode::kAlreadyExists)
    return already_exists("a restore named \"" + record.name + "\" already exists");
  return s;
}

Result<RestoreRecord> load_restore_record(Repository& repo, const std::string& name) {
  Result<Bytes> plain = repo.get_sealed(ObjectKind::kRestore, restore_object_name(repo, name));
  if (!plain.is_ok()) {
    if (plain.status().code() == ErrorCode::kNotFound)
      return not_found("there is no restore named \"" + name + "\"; 'cairn restore get' lists them");
    return plain.status();
  }
  return decode(*plain);
}

Result<std::vector<RestoreRecord>> list_restore_records(Repository& repo, size_t* damaged) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(
      repo.backend().list(ObjectKind::kRestore, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
  std::vector<RestoreRecord> out;
  for (const std::string& n : names) {
    Result<Bytes> plain = repo.get_sealed(ObjectKind::kRestore, n);
    Result<RestoreRecord> r = plain.is_ok() ? decode(*plain) : Result<RestoreRecord>(plain.status());
    if (!r.is_ok()) {
      if (damaged != nullptr) ++*damaged;
      continue;
    }
    out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const RestoreRecord& a, const RestoreRecord& b) {
    return a.started != b.started ? a.started < b.started : a.name < b.name;
  });
  return out;
}

}  // namespace cairn
