// Prune: removes the data no backup references, safely while other
// processes back up into the same repository (docs/format.md, "Prune").
//
// Phase 1 (a shared "prune" lock; one prune at a time): list snapshots,
// then index objects; mark every blob the snapshots reach; delete packs
// with nothing live and repack mostly-garbage ones (live blobs copied still
// sealed into new packs, indexed); write index objects naming the packs
// that stay; record the packs set aside (PendingDeletion); remove the old
// index objects.
// Phase 2: wait until every lock that existed after the old index objects
// were gone has been released or gone stale; rescue any set-aside pack a
// snapshot written meanwhile still needs; then delete the rest.
//
// Every step is recorded before the next begins, so a prune killed at any
// moment leaves a repository where every backup restores, and the next
// prune finishes the job first.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace cairn {

// The steps a test can stop at (PruneOptions::hook).
enum class PruneStage {
  kSnapshotsListed,    // phase 1 knows its snapshots, has not read the index yet
  kPlanned,            // live blobs known, nothing written yet
  kRepacked,           // live blobs of repacked packs copied and indexed
  kPendingRecorded,    // new index objects and the PendingDeletion written
  kOldIndexesRemoved,  // backups starting now can no longer see set-aside packs
  kLocksGone,          // every lock we waited for is gone
  kRescueListed,       // the snapshots to walk for the rescue are listed
  kRescued,            // set-aside packs still needed are indexed again
  kDeletionListed,     // DeletionList written, PendingDeletion removed
};

struct PruneOptions {
  bool dry_run = false;
  // A pack whose garbage share is above this is repacked; 1 never repacks,
  // 0 repacks every pack holding any garbage.
  double max_repack_ratio = 0.5;
  // How often to look again at the locks phase 2 waits for.
  double lock_poll_seconds = 5;
  // A line for the user per step (progress, on stderr in the CLI).
  std::function<void(const std::string&)> on_status;
  // Tests: called at each stage, on the pruning thread; returning false
  // stops the prune there (Cancelled), as an interruption would.
  std::function<bool(PruneStage)> hook;
};

struct PruneReport {
  bool dry_run = false;
  bool finished_previous = false;    // an interrupted prune's work was finished first
  bool previous_unfinished = false;  // dry run: an interrupted prune's work awaits the next run
  uint64_t snapshots = 0;
  uint64_t packs = 0;  // indexed packs looked at
  uint64_t blobs = 0;
  uint64_t live_blobs = 0;
  uint64_t stored_bytes = 0;                      // size of the packs looked at
  uint64_t packs_deleted = 0, bytes_deleted = 0;  // packs with nothing live
  uint64_t packs_repacked = 0, bytes_repacked = 0;
  uint64_t bytes_copied = 0;  // live blobs copied out of repacked packs
  uint64_t packs_kept = 0;
  uint64_t packs_rescued = 0;    // set aside, then needed by a backup that ran meanwhile
  uint64_t reclaimed_bytes = 0;  // deleted + repacked - copied (planned, in a dry run)
  uint64_t locks_waited = 0;
  std::vector<std::string> deleted_packs, repacked_packs;  // pack names
};

struct PruneProgress {
  std::atomic<uint64_t> trees{0};
  std::atomic<uint64_t> packs_repacked{0};
  std::atomic<uint64_t> packs_deleted{0};
};

// Refuses (Locked) while another prune or an exclusive lock holds the
// repository, and (Corruption) when a backup cannot be read completely:
// what is live would then be unknown.
Result<PruneReport> prune_repository(Repository& repo, const PruneOptions& options,
                                     PruneProgress* progress = nullptr);

}  // namespace cairn
