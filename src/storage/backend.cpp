#include "storage/backend.h"

namespace cairn {

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfig: return "config";
    case ObjectKind::kKey: return "keys";
    case ObjectKind::kPack: return "data";
    case ObjectKind::kIndex: return "index";
    case ObjectKind::kSnapshot: return "snapshots";
    case ObjectKind::kLock: return "locks";
    case ObjectKind::kArchive: return "archive";
    case ObjectKind::kRestore: return "restores";
  }
  return "unknown";
}

std::string ObjectKey::to_string() const {
  if (kind == ObjectKind::kConfig) return name;
  return std::string(object_kind_name(kind)) + "/" + name;
}

Status validate_object_key(const ObjectKey& key) {
  // Quoting a hostile name in the message is safe: it is cut short first.
  auto invalid = [&](const char* why) {
    return invalid_argument("invalid object name \"" + key.name.substr(0, 80) + "\" for " +
                            object_kind_name(key.kind) + ": " + why);
  };
  if (key.kind == ObjectKind::kConfig) {
    if (key.name != "config") return invalid("the config object is named \"config\"");
    return Status::ok();
  }
  const size_t min_size = key.kind == ObjectKind::kPack ? 2 : 1;
  if (key.name.size() < min_size || key.name.size() > 128) return invalid("wrong length");
  for (char c : key.name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return invalid("not lowercase hex");
  }
  return Status::ok();
}

}  // namespace cairn
