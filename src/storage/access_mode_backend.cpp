#include "storage/access_mode_backend.h"

#include <utility>

namespace cairn {

const char* access_mode_name(AccessMode mode) {
  switch (mode) {
    case AccessMode::kReadWrite: return "ReadWrite";
    case AccessMode::kReadOnly: return "ReadOnly";
    case AccessMode::kAppendOnly: return "AppendOnly";
  }
  return "ReadWrite";
}

Result<AccessMode> parse_access_mode(std::string_view name) {
  for (AccessMode m : {AccessMode::kReadWrite, AccessMode::kReadOnly, AccessMode::kAppendOnly})
    if (name == access_mode_name(m)) return m;
  return invalid_argument("access mode \"" + std::string(name) +
                          "\" is not one of ReadWrite, ReadOnly, AppendOnly");
}

Status access_mode_refusal(AccessMode mode, const std::string& location_name, bool is_delete) {
  const std::string name = location_name.empty() ? "NAME" : location_name;
  const std::string which = location_name.empty() ? "this location" : "the location " + location_name;
  const std::string fix = "set it back with 'cairn location set " + name + " --access-mode ReadWrite'";
  if (mode == AccessMode::kReadOnly)
    return permission_denied(which + " is ReadOnly: backups, deletes and prunes are refused; " + fix);
  if (mode == AccessMode::kAppendOnly && is_delete)
    return permission_denied(which +
                             " is AppendOnly: backups are added but deletes and prunes are refused; " + fix);
  return Status::ok();
}

AccessModeBackend::AccessModeBackend(std::shared_ptr<Backend> inner, AccessMode mode,
                                     std::string location_name)
    : inner_(std::move(inner)), mode_(mode), location_name_(std::move(location_name)) {}

Status AccessModeBackend::put(const ObjectKey& key, ByteView data) {
  CAIRN_RETURN_IF_ERROR(access_mode_refusal(mode_, location_name_, false));
  return inner_->put(key, data);
}

Status AccessModeBackend::remove(const ObjectKey& key) {
  if (!(mode_ == AccessMode::kAppendOnly && key.kind == ObjectKind::kLock))
    CAIRN_RETURN_IF_ERROR(access_mode_refusal(mode_, location_name_, true));
  return inner_->remove(key);
}

}  // namespace cairn
