#include "repo/prune.h"

#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "repo/archive.h"
#include "repo/blob_writer.h"
#include "repo/lock.h"
#include "repo/prune_record.h"

namespace cairn {

namespace {

using BlobSet = std::unordered_set<BlobId, BlobIdHash>;

// Index objects written by prune hold at most this many blob entries
// (about 5 MB before compression), so no single object grows without bound.
constexpr size_t kBlobsPerIndexObject = 100000;

// A lock is refreshed under a new object name, so phase 2 recognises the
// holders it waits for by who they are, not by the lock's name.
std::string lock_holder(const LockInfo& l) {
  return l.operation + '\0' + l.subject + '\0' + l.hostname + '\0' + std::to_string(l.pid) +
         (l.exclusive ? "\0x" : "\0s");
}

bool ignore_not_found(const Status& s) { return s.is_ok() || s.code() == ErrorCode::kNotFound; }

std::string short_name(const std::string& name) { return name.substr(0, 16); }

class Pruner {
 public:
  Pruner(Repository& repo, const PruneOptions& options, PruneProgress* progress)
      : repo_(repo), options_(options), progress_(progress ? *progress : own_progress_) {
    report_.dry_run = options.dry_run;
  }

  Result<PruneReport> run() {
    CAIRN_RETURN_IF_ERROR(acquire_lock());
    if (!options_.dry_run) {
      CAIRN_RETURN_IF_ERROR(finish_previous());
    } else {
      // A damaged record is unfinished work too (the next prune drops it).
      Result<std::optional<DeletionList>> list = load_deletion_list(repo_);
      Result<std::optional<PendingDeletion>> pending = load_pending_deletion(repo_);
      report_.previous_unfinished =
          !list.is_ok() || list->has_value() || !pending.is_ok() || pending->has_value();
    }
    CAIRN_RETURN_IF_ERROR(phase1());
    return std::move(report_);
  }

 private:
  void say(const std::string& line) {
    if (options_.on_status) options_.on_status(line);
  }
  // Tests stop a prune here to see what an interruption at this step leaves.
  Status stage(PruneStage s) {
    if (options_.hook && !options_.hook(s))
      return Status(ErrorCode::kCancelled, "prune stopped by a test hook");
    return Status::ok();
  }

  // A shared lock, so backups keep running; but only one prune at a time:
  // two would each remove index objects the other just wrote.
  Status acquire_lock() {
    CAIRN_ASSIGN_OR_RETURN(lock_, RepositoryLock::acquire(repo_, false, "prune", ""));
    CAIRN_ASSIGN_OR_RETURN(std::vector<LockInfo> locks, list_locks(repo_));
    TimeNs now = system_clock().now();
    std::string own = lock_->name();
    for (const LockInfo& l : locks) {
      if (l.operation != "prune" || l.name == own || lock_is_stale(l, now)) continue;
      lock_.reset();
      return Status(ErrorCode::kLocked, "another prune is running (pid " + std::to_string(l.pid) + " on " +
                                            l.hostname + "); wait for it to finish");
    }
    return Status::ok();
  }

  // Our own lock under any of its names (a refresh renames it). Only one
  // prune holds the repository, so "prune" from this process is us.
  bool is_own(const LockInfo& l) const {
    return l.operation == "prune" && l.pid == getpid() && l.hostname == current_hostname();
  }

  // An interrupted prune left a record: finish its work before planning
  // anew, so the records never pile up and the space is reclaimed.
  Status finish_previous() {
    Result<std::optional<DeletionList>> list = load_deletion_list(repo_);
    if (!list.is_ok()) {
      if (list.status().code() != ErrorCode::kCorruption) return list.status();
      // Its rescue was done (the list comes after it); the packs it named
      // stay behind unindexed: wasted space, never a lost backup.
      CAIRN_RETURN_IF_ERROR(drop_damaged_record(pending_deletion_name(repo_)));
      CAIRN_RETURN_IF_ERROR(drop_damaged_record(deletion_list_name(repo_)));
    } else if (*list) {
      say("finishing the deletion an interrupted prune began");
      report_.finished_previous = true;
      CAIRN_RETURN_IF_ERROR(delete_listed(**list));
    }
    Result<std::optional<PendingDeletion>> loaded = load_pending_deletion(repo_);
    if (!loaded.is_ok()) {
      if (loaded.status().code() != ErrorCode::kCorruption) return loaded.status();
      // Without it we cannot finish that prune; its set-aside packs are
      // left alone (unindexed if their index objects are gone).
      return drop_damaged_record(pending_deletion_name(repo_));
    }
    const std::optional<PendingDeletion>& pending = *loaded;
    if (pending) {
      say("finishing an interrupted prune");
      report_.finished_previous = true;
      CAIRN_RETURN_IF_ERROR(phase2(*pending));
    }
    return Status::ok();
  }

  Status drop_damaged_record(const std::string& name) {
    say("the record of an interrupted prune is damaged; its packs are left in place and it is removed");
    Status s = repo_.backend().remove({ObjectKind::kLock, name});
    return ignore_not_found(s) ? Status::ok() : s.with_context("removing a damaged prune record");
  }

  Result<std::vector<std::string>> list_names(ObjectKind kind) {
    std::vector<std::string> names;
    CAIRN_RETURN_IF_ERROR(
        repo_.backend().list(kind, [&](const ObjectInfo& o) { names.push_back(o.key.name); }));
    return names;
  }

  // Marks every blob reachable from a backup's root tree; visit() sees each
  // blob the first time. A tree that cannot be read stops the prune: what
  // lies below it would count as garbage.
  Status walk(const std::string& backup, const BlobId& root, BlobSet& seen,
              const std::function<void(const BlobId&)>& visit) {
    std::vector<BlobId> stack{root};
    while (!stack.empty()) {
      BlobId id = stack.back();
      stack.pop_back();
      if (!seen.insert(id).second) continue;
      visit(id);
      Result<Tree> tree = repo_.read_tree(id);
      if (!tree.is_ok())
        return corruption("backup \"" + backup + "\" cannot be read completely (" + tree.status().message() +
                          "), so prune cannot tell what is garbage; run 'cairn repo check'");
      progress_.trees++;
      for (const Node& node : tree->nodes) {
        if (node.type == NodeType::kDirectory) stack.push_back(node.subtree);
        if (node.type != NodeType::kFile) continue;
        for (const ContentChunk& c : node.content) {
          if (!seen.insert(c.id).second) continue;
          visit(c.id);
          // A delta blob is unreadable without its base: as live as it is.
          std::optional<BlobId> base = repo_.index().delta_base(c.id);
          if (base && seen.insert(*base).second) visit(*base);
        }
      }
    }
    return Status::ok();
  }

  // Walks one snapshot object; false when it was deleted meanwhile.
  // The blobs of an archive record (a PostgreSQL WAL file): as live as a
  // backup's. Archive records follow the same write order as snapshots.
  Status walk_archive(const std::string& object_name, const std::function<void(const BlobId&)>& visit) {
    Result<ArchiveRecord> r = read_archive_object(repo_, object_name);
    if (!r.is_ok()) {
      if (r.status().code() == ErrorCode::kNotFound) return Status::ok();
      return corruption("archive/" + short_name(object_name) + " cannot be read (" + r.status().message() +
                        "), so prune cannot tell what is garbage; run 'cairn repo check'");
    }
    for (const ContentChunk& c : r->chunks) {
      visit(c.id);
      // WAL is stored whole, but the copy the index reads could be a delta
      // of the same bytes: its base is then as live.
      if (std::optional<BlobId> base = repo_.index().delta_base(c.id)) visit(*base);
    }
    return Status::ok();
  }

  Result<bool> walk_snapshot(const std::string& object_name, BlobSet& seen,
                             const std::function<void(const BlobId&)>& visit) {
    Result<Bytes> plain = repo_.get_sealed(ObjectKind::kSnapshot, object_name);
    if (!plain.is_ok()) {
      if (plain.status().code() == ErrorCode::kNotFound) return false;
      return plain.status().with_context("cannot prune");
    }
    Result<SnapshotManifest> m = decode_snapshot(as_string_view(*plain));
    if (!m.is_ok())
      return corruption("snapshots/" + short_name(object_name) + " cannot be read (" + m.status().message() +
                        "), so prune cannot tell what is garbage; run 'cairn repo check'");
    CAIRN_RETURN_IF_ERROR(walk(m->name, m->tree, seen, visit));
    return true;
  }

  Status write_index_objects(const std::vector<const IndexPack*>& packs) {
    std::vector<IndexPack> batch;
    size_t blobs = 0;
    auto put = [&]() -> Status {
      if (batch.empty()) return Status::ok();
      Status s = repo_.put_sealed(ObjectKind::kIndex, random_object_name(), encode_index(batch));
      batch.clear();
      blobs = 0;
      return s.with_context("storing an index");
    };
    for (const IndexPack* p : packs) {
      batch.push_back(*p);
      blobs += p->blobs.size();
      if (blobs >= kBlobsPerIndexObject) CAIRN_RETURN_IF_ERROR(put());
    }
    return put();
  }

  Status phase1() {
    say("listing backups and reading the index");
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> snapshots, list_names(ObjectKind::kSnapshot));
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> archives, list_names(ObjectKind::kArchive));
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kSnapshotsListed));
    // Snapshots first, index second: every blob of a listed snapshot was
    // indexed before the snapshot was written, so it is in what we read.
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> indexes, list_names(ObjectKind::kIndex));
    std::vector<IndexPack> packs;
    {
      std::unordered_set<PackId, BlobIdHash> seen_packs;
      repo_.index().clear();
      for (const std::string& name : indexes) {
        Result<Bytes> plain = repo_.get_sealed(ObjectKind::kIndex, name);
        if (!plain.is_ok() && plain.status().code() == ErrorCode::kNotFound) continue;
        Result<std::vector<IndexPack>> decoded =
            plain.is_ok() ? decode_index(*plain) : Result<std::vector<IndexPack>>(plain.status());
        if (!decoded.is_ok()) {
          if (decoded.status().code() != ErrorCode::kCorruption) return decoded.status();
          return corruption("index/" + short_name(name) +
                            " is damaged, so prune cannot tell which packs hold live data; run 'cairn repo "
                            "check' and repair the repository first");
        }
        for (IndexPack& p : *decoded) {
          if (!seen_packs.insert(p.id).second) continue;  // named twice: one copy of the entries will do
          repo_.index().add_pack(p);                      // pack number == position in packs
          packs.push_back(std::move(p));
        }
      }
    }
    std::unordered_map<std::string, uint64_t> sizes;
    CAIRN_RETURN_IF_ERROR(
        repo_.backend().list(ObjectKind::kPack, [&](const ObjectInfo& o) { sizes[o.key.name] = o.size; }));

    say("finding the data " + std::to_string(snapshots.size()) + " backups reference");
    BlobSet live;
    for (const std::string& name : snapshots) {
      CAIRN_ASSIGN_OR_RETURN(bool found, walk_snapshot(name, live, [](const BlobId&) {}));
      if (found) report_.snapshots++;
    }
    for (const std::string& name : archives)
      CAIRN_RETURN_IF_ERROR(walk_archive(name, [&](const BlobId& id) { live.insert(id); }));

    // A blob stored twice counts as live only in the copy the index reads.
    enum class Fate { kKeep, kDelete, kRepack };
    std::vector<Fate> fate(packs.size(), Fate::kKeep);
    for (size_t i = 0; i < packs.size(); ++i) {
      uint64_t total = 0, live_bytes = 0;
      for (const PackEntry& e : packs[i].blobs) {
        total += e.length;
        std::optional<BlobLocation> loc = repo_.index().find(e.id);
        if (live.count(e.id) && loc && loc->pack == i) {
          live_bytes += e.length;
          report_.live_blobs++;
        }
      }
      std::string name = packs[i].id.hex();
      auto size_it = sizes.find(name);
      uint64_t size = size_it != sizes.end() ? size_it->second : total;
      report_.packs++;
      report_.blobs += packs[i].blobs.size();
      report_.stored_bytes += size;
      if (live_bytes == 0) {
        fate[i] = Fate::kDelete;
        report_.packs_deleted++;
        report_.bytes_deleted += size;
        report_.deleted_packs.push_back(name);
      } else if (total > 0 && static_cast<double>(total - live_bytes) / static_cast<double>(total) >
                                  options_.max_repack_ratio) {
        fate[i] = Fate::kRepack;
        report_.packs_repacked++;
        report_.bytes_repacked += size;
        report_.bytes_copied += live_bytes;
        report_.repacked_packs.push_back(name);
      } else {
        report_.packs_kept++;
      }
    }
    report_.reclaimed_bytes = report_.bytes_deleted + report_.bytes_repacked - report_.bytes_copied;
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kPlanned));
    if (options_.dry_run) return Status::ok();
    if (report_.packs_deleted == 0 && report_.packs_repacked == 0) {
      say("nothing to prune");
      return Status::ok();
    }

    if (report_.packs_repacked) {
      say("repacking " + std::to_string(report_.packs_repacked) + " packs");
      BlobWriter writer(repo_);
      for (size_t i = 0; i < packs.size(); ++i) {
        if (fate[i] != Fate::kRepack) continue;
        CAIRN_RETURN_IF_ERROR(copy_live(packs[i], static_cast<uint32_t>(i), live, writer));
        progress_.packs_repacked++;
      }
      // Durable packs and an index naming them, before anything goes.
      CAIRN_RETURN_IF_ERROR(writer.flush());
      report_.bytes_copied = writer.bytes_added();
      report_.reclaimed_bytes = report_.bytes_deleted + report_.bytes_repacked - report_.bytes_copied;
      CAIRN_RETURN_IF_ERROR(stage(PruneStage::kRepacked));
    }
    live = BlobSet();

    std::vector<const IndexPack*> kept;
    PendingDeletion record;
    record.old_indexes = indexes;
    record.snapshots = snapshots;
    for (size_t i = 0; i < packs.size(); ++i) {
      if (fate[i] == Fate::kKeep) kept.push_back(&packs[i]);
    }
    CAIRN_RETURN_IF_ERROR(write_index_objects(kept));
    for (size_t i = 0; i < packs.size(); ++i) {
      if (fate[i] != Fate::kKeep) record.packs.push_back(std::move(packs[i]));
    }
    packs = {};
    Status s =
        repo_.put_sealed(ObjectKind::kLock, pending_deletion_name(repo_), encode_pending_deletion(record));
    if (s.code() == ErrorCode::kAlreadyExists)
      return already_exists("another prune left its record meanwhile; run prune again");
    CAIRN_RETURN_IF_ERROR(s.with_context("storing the prune record"));
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kPendingRecorded));
    return phase2(record);
  }

  // Copies the live blobs of one pack, still sealed, into the writer.
  Status copy_live(const IndexPack& pack, uint32_t number, const BlobSet& live, BlobWriter& writer) {
    ObjectKey key{ObjectKind::kPack, pack.id.hex()};
    Result<Bytes> data = repo_.backend().get(key);
    if (!data.is_ok())
      return data.status().with_context("reading pack " + short_name(key.name) + " to repack it");
    for (const PackEntry& e : pack.blobs) {
      std::optional<BlobLocation> loc = repo_.index().find(e.id);
      if (!live.count(e.id) || !loc || loc->pack != number) continue;
      if (uint64_t{e.offset} + e.length > data->size())
        return corruption("pack " + short_name(key.name) +
                          " is shorter than its index says; run 'cairn repo check'");
      CAIRN_RETURN_IF_ERROR(writer.add_sealed(e, ByteView(*data).subspan(e.offset, e.length)).status());
    }
    return Status::ok();
  }

  Status phase2(const PendingDeletion& record) {
    // From here on a backup that loads the index sees none of the packs set
    // aside, so it cannot come to depend on them.
    for (const std::string& name : record.old_indexes) {
      Status s = repo_.backend().remove({ObjectKind::kIndex, name});
      if (!ignore_not_found(s)) return s.with_context("removing a replaced index");
    }
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kOldIndexesRemoved));
    CAIRN_RETURN_IF_ERROR(wait_for_locks());
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kLocksGone));

    // Every backup that could have loaded the old index has finished or
    // died. A snapshot written since phase 1 began may still reference a
    // set-aside pack (a blob deduplicated against it, or the backup's own
    // pack): index such packs again instead of deleting them.
    std::unordered_map<PackId, const IndexPack*, BlobIdHash> pending;
    for (const IndexPack& p : record.packs) pending.emplace(p.id, &p);
    // Snapshots first, index second, as in phase 1: a snapshot written in
    // between comes from a backup that began after the locks were listed,
    // needs nothing set aside, and may name packs our index lacks.
    std::unordered_set<std::string> known(record.snapshots.begin(), record.snapshots.end());
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> snapshots, list_names(ObjectKind::kSnapshot));
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> archives, list_names(ObjectKind::kArchive));
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kRescueListed));
    repo_.index().clear();
    CAIRN_RETURN_IF_ERROR(repo_.load_index(nullptr, Repository::PendingPacks::kInclude));
    std::unordered_set<PackId, BlobIdHash> needed;
    // Every archive record, not only new ones: a WAL file pushed during
    // phase 1 may have deduplicated against a set-aside pack.
    for (const std::string& name : archives) {
      CAIRN_RETURN_IF_ERROR(walk_archive(name, [&](const BlobId& id) {
        std::optional<BlobLocation> loc = repo_.index().find(id);
        if (!loc) return;
        PackId pack = repo_.index().pack_id(loc->pack);
        if (pending.count(pack)) needed.insert(pack);
      }));
    }
    BlobSet seen;
    for (const std::string& name : snapshots) {
      if (known.count(name)) continue;
      CAIRN_ASSIGN_OR_RETURN(bool found, walk_snapshot(name, seen, [&](const BlobId& id) {
                               std::optional<BlobLocation> loc = repo_.index().find(id);
                               if (!loc) return;
                               PackId pack = repo_.index().pack_id(loc->pack);
                               if (pending.count(pack)) needed.insert(pack);
                             }));
      (void)found;
    }
    std::vector<const IndexPack*> rescued;
    DeletionList list;
    for (const IndexPack& p : record.packs) {
      if (needed.count(p.id))
        rescued.push_back(&p);
      else
        list.packs.push_back(p.id);
    }
    if (!rescued.empty()) {
      say("keeping " + std::to_string(rescued.size()) + " packs that backups written meanwhile need");
      CAIRN_RETURN_IF_ERROR(write_index_objects(rescued));
      report_.packs_rescued += rescued.size();
    }
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kRescued));
    Status s = repo_.put_sealed(ObjectKind::kLock, deletion_list_name(repo_), encode_deletion_list(list));
    if (!s.is_ok() && s.code() != ErrorCode::kAlreadyExists)
      return s.with_context("storing the deletion list");
    if (s.code() == ErrorCode::kAlreadyExists) {
      // Only an interrupted run of this very step leaves one: it lists the same packs or a subset.
      CAIRN_ASSIGN_OR_RETURN(std::optional<DeletionList> existing, load_deletion_list(repo_));
      if (existing) list = *existing;
    }
    return delete_listed(list);
  }

  // Waits until every lock present now is released or stale. Locks taken
  // later belong to operations that loaded the index after the old index
  // objects were gone: they cannot reference a set-aside pack.
  Status wait_for_locks() {
    CAIRN_ASSIGN_OR_RETURN(std::vector<LockInfo> locks, list_locks(repo_));
    TimeNs now = system_clock().now();
    std::set<std::string> waiting;
    for (const LockInfo& l : locks)
      if (!is_own(l) && !lock_is_stale(l, now)) waiting.insert(lock_holder(l));
    report_.locks_waited += waiting.size();
    size_t announced = 0;
    while (!waiting.empty()) {
      if (waiting.size() != announced) {
        announced = waiting.size();
        say("waiting for " + std::to_string(announced) +
            " operations that began before the index was rewritten (backups finish their work first)");
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(options_.lock_poll_seconds));
      CAIRN_ASSIGN_OR_RETURN(locks, list_locks(repo_));
      now = system_clock().now();
      std::set<std::string> still;
      for (const LockInfo& l : locks) {
        std::string holder = lock_holder(l);
        if (waiting.count(holder) && !lock_is_stale(l, now)) still.insert(holder);
      }
      waiting.swap(still);
    }
    return Status::ok();
  }

  // Removes the PendingDeletion (the list proves its rescue is done), then
  // the listed packs, then the list. A pack some index object names again
  // is never deleted.
  Status delete_listed(const DeletionList& list) {
    Status s = repo_.backend().remove({ObjectKind::kLock, pending_deletion_name(repo_)});
    if (!ignore_not_found(s)) return s.with_context("removing the prune record");
    CAIRN_RETURN_IF_ERROR(stage(PruneStage::kDeletionListed));
    repo_.index().clear();
    CAIRN_RETURN_IF_ERROR(repo_.load_index());
    std::unordered_set<PackId, BlobIdHash> indexed;
    for (uint32_t i = 0; i < repo_.index().pack_count(); ++i) indexed.insert(repo_.index().pack_id(i));
    if (!list.packs.empty()) say("deleting " + std::to_string(list.packs.size()) + " packs");
    for (const PackId& id : list.packs) {
      if (indexed.count(id)) continue;
      s = repo_.backend().remove({ObjectKind::kPack, id.hex()});
      if (!ignore_not_found(s)) return s.with_context("deleting pack " + short_name(id.hex()));
      progress_.packs_deleted++;
    }
    s = repo_.backend().remove({ObjectKind::kLock, deletion_list_name(repo_)});
    if (!ignore_not_found(s)) return s.with_context("removing the prune deletion list");
    return Status::ok();
  }

  Repository& repo_;
  const PruneOptions& options_;
  PruneProgress own_progress_;
  PruneProgress& progress_;
  std::unique_ptr<RepositoryLock> lock_;
  PruneReport report_;
};

}  // namespace

Result<PruneReport> prune_repository(Repository& repo, const PruneOptions& options, PruneProgress* progress) {
  Pruner pruner(repo, options, progress);
  return pruner.run();
}

}  // namespace cairn
