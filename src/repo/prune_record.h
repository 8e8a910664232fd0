// Prune's durable records (docs/format.md, "Prune").
//
// A prune works in two phases and leaves a record after each step that
// must survive a crash, so the next prune can finish the job:
//
//   PendingDeletion  written at the end of phase 1: the index objects the
//                    prune replaced, the snapshots it saw, and the packs
//                    (with their entries) it set aside for deletion.
//                    Readers add these packs to their index, so a backup
//                    that was running when the prune began stays readable.
//   DeletionList     written in phase 2 once the packs that later backups
//                    still need have been rescued: the packs to delete now.
//
// Both live in locks/ under names keyed by the repository's id key, so
// there is at most one of each. Lock readers skip them (they are not lock
// JSON), and a cairn that knows nothing of prune ignores them.
#pragma once

#include <optional>
#include <vector>

#include "repo/index.h"
#include "repo/repository.h"

namespace cairn {

struct PendingDeletion {
  std::vector<std::string> old_indexes;  // index object names to remove
  std::vector<std::string> snapshots;    // snapshot object names prune saw
  std::vector<IndexPack> packs;          // set aside for deletion
};

struct DeletionList {
  std::vector<PackId> packs;
};

std::string pending_deletion_name(const Repository& repo);
std::string deletion_list_name(const Repository& repo);

Bytes encode_pending_deletion(const PendingDeletion& record);
Result<PendingDeletion> decode_pending_deletion(ByteView data);
Bytes encode_deletion_list(const DeletionList& list);
Result<DeletionList> decode_deletion_list(ByteView data);

// nullopt when there is no such record.
Result<std::optional<PendingDeletion>> load_pending_deletion(Repository& repo);
Result<std::optional<DeletionList>> load_deletion_list(Repository& repo);

}  // namespace cairn
