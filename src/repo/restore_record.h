// Restore records (docs/format.md, "Restore records"): what one restore did.
//
// A RestoreRecord is written once, after the restore finishes, as a sealed
// JSON object restores/<HMAC("restore-name:" name)>. It holds no blobs, so
// prune and check ignore it; deleting it loses only history. `restore get`
// lists them, `restore describe` shows one with the outcome of every item.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "repo/repository.h"

namespace cairn {

// One object (or file) the restore dealt with, and what became of it.
struct RestoreItem {
  std::string resource;    // Velero group-resource: "deployments.apps"; "" for files
  std::string namespace_;  // after --namespace-mappings; "" for cluster-scoped objects
  std::string name;
  std::string outcome;  // created, skipped-exists, updated, failed
  std::string reason;   // why it was skipped or failed; may be empty
};

struct RestoreRecord {
  std::string name;
  std::string backup;
  std::string source;  // the backup's source: "k8s", "fs"
  std::string status;  // Completed, PartiallyFailed, Failed
  TimeNs started = 0;
  TimeNs completed = 0;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<RestoreItem> items;
};

std::string restore_object_name(const Repository& repo, const std::string& restore_name);

// Fails with AlreadyExists when a restore of that name was recorded before.
Status save_restore_record(Repository& repo, const RestoreRecord& record);
// NotFound names the restore in a plain sentence.
Result<RestoreRecord> load_restore_record(Repository& repo, const std::string& name);
// Every record, oldest first; unreadable ones are skipped and counted in *damaged.
Result<std::vector<RestoreRecord>> list_restore_records(Repository& repo, size_t* damaged = nullptr);

}  // namespace cairn
