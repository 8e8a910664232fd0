// AccessModeBackend: a location's access mode, enforced on every request
// below the repository, so that no command can get around it.
//
// Nouns:
//   AccessMode  ReadWrite (everything), ReadOnly (no put, no remove: nothing
//               is ever sent that could change the storage) or AppendOnly
//               (puts, which never replace, but no removes).
//
// A refused call returns kPermissionDenied with a sentence naming the
// location and how to change its mode, and never reaches the inner backend.
// AppendOnly still removes lock objects: a backup's lock must go when the
// backup ends (restic's rest-server --append-only allows the same); if the
// storage refuses that too, the lock goes stale and is ignored.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/backend.h"

namespace cairn {

enum class AccessMode { kReadWrite, kReadOnly, kAppendOnly };

// "ReadWrite", "ReadOnly", "AppendOnly" (Velero's spelling).
const char* access_mode_name(AccessMode mode);
// The names above, exactly; kInvalidArgument otherwise.
Result<AccessMode> parse_access_mode(std::string_view name);

// The refusal a command gets for changing something under `mode` (empty
// ok for ReadWrite). location_name may be empty (a --repo path).
Status access_mode_refusal(AccessMode mode, const std::string& location_name, bool is_delete);

class AccessModeBackend final : public Backend {
 public:
  AccessModeBackend(std::shared_ptr<Backend> inner, AccessMode mode, std::string location_name);

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override {
    return inner_->get(key, offset, length);
  }
  Result<ObjectInfo> stat(const ObjectKey& key) override { return inner_->stat(key); }
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override {
    return inner_->list(kind, fn);
  }
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

  AccessMode mode() const { return mode_; }

 private:
  const std::shared_ptr<Backend> inner_;
  const AccessMode mode_;
  const std::string location_name_;
};

}  // namespace cairn
