#include "repo/check.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "repo/config.h"

namespace cairn {

namespace {

using BlobSet = std::unordered_set<BlobId, BlobIdHash>;

class Checker {
 public:
  Checker(Repository& repo, const CheckOptions& options, CheckProgress& progress)
      : repo_(repo), options_(options), progress_(progress) {}

  Result<CheckReport> run() {
    check_keys();
    std::vector<std::string> damaged_indexes;
    CAIRN_RETURN_IF_ERROR(repo_.load_index(&damaged_indexes, Repository::PendingPacks::kInclude));
    for (const auto& name : damaged_indexes)
      problem("index/" + name, "index object is damaged (fails authentication or is malformed)");
    CAIRN_RETURN_IF_ERROR(check_packs());
    CAIRN_RETURN_IF_ERROR(check_snapshots());
    report_.blobs = repo_.index().blob_count();
    report_.bytes_read = progress_.bytes_read;
    return std::move(report_);
  }

 private:
  void problem(const std::string& object, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    report_.problems.push_back({object, message});
  }

  void check_keys() {
    std::vector<std::string> names;
    Status s =
        repo_.backend().list(ObjectKind::kKey, [&](const ObjectInfo& o) { names.push_back(o.key.name); });
    if (!s.is_ok()) return problem("keys", s.message());
    for (const auto& name : names) {
      Result<Bytes> data = repo_.backend().get({ObjectKind::kKey, name});
      if (!data.is_ok()) {
        problem("keys/" + name, data.status().message());
        continue;
      }
      Result<KeyFileInfo> info = read_key_file_info(as_string_view(*data));
      if (!info.is_ok()) problem("keys/" + name, "key file is damaged: " + info.status().message());
    }
  }

  // Every blob the index places in a pack, grouped by pack.
  std::map<uint32_t, std::vector<std::pair<BlobId, BlobLocation>>> blobs_by_pack() {
    std::map<uint32_t, std::vector<std::pair<BlobId, BlobLocation>>> out;
    repo_.index().for_each(
        [&](const BlobId& id, const BlobLocation& loc) { out[loc.pack].emplace_back(id, loc); });
    return out;
  }

  Status check_packs() {
    std::unordered_map<std::string, uint64_t> stored;
    CAIRN_RETURN_IF_ERROR(
        repo_.backend().list(ObjectKind::kPack, [&](const ObjectInfo& o) { stored[o.key.name] = o.size; }));
    auto by_pack = blobs_by_pack();
    std::vector<std::pair<uint32_t, std::vector<std::pair<BlobId, BlobLocation>>*>> work;
    std::unordered_set<std::string> indexed;
    for (auto& [pack, blobs] : by_pack) {
      std::string name = repo_.index().pack_id(pack).hex();
      indexed.insert(name);
      auto it = stored.find(name);
      if (it == stored.end()) {
        problem("data/" + name, "pack is missing from storage");
        for (auto& b : blobs) damaged_.insert(b.first);
        continue;
      }
      work.emplace_back(pack, &blobs);
    }
    for (const auto& [name, size] : stored)
      if (!indexed.count(name)) report_.unreferenced_packs++;
    report_.packs = stored.size();
    progress_.packs_total = work.size();
    std::atomic<size_t> next{0};
    auto loop = [&] {
      for (size_t i; (i = next.fetch_add(1)) < work.size();) {
        check_pack(work[i].first, *work[i].second, stored.at(repo_.index().pack_id(work[i].first).hex()));
        progress_.packs_done++;
      }
    };
    int n = options_.threads > 0 ? options_.threads
                                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (int t = 1; t < n; ++t) threads.emplace_back(loop);
    loop();
    for (auto& t : threads) t.join();
    return Status::ok();
  }

  void mark_damaged(const std::vector<std::pair<BlobId, BlobLocation>>& blobs) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& b : blobs) damaged_.insert(b.first);
  }

  void check_pack(uint32_t pack, const std::vector<std::pair<BlobId, BlobLocation>>& blobs, uint64_t size) {
    std::string name = repo_.index().pack_id(pack).hex();
    ObjectKey key{ObjectKind::kPack, name};
    Bytes data;
    ByteView tail;
    if (options_.read_data) {
      Result<Bytes> all = repo_.backend().get(key);
      if (!all.is_ok()) {
        problem(key.to_string(), "pack cannot be read: " + all.status().message());
        return mark_damaged(blobs);
      }
      data = std::move(*all);
      tail = data;
      progress_.bytes_read += data.size();
    } else {
      // The header sits at the end; 64 KiB covers it for most packs, else read it exactly.
      uint64_t want = std::min<uint64_t>(size, 64 * 1024);
      Result<Bytes> t = repo_.backend().get(key, size - want, want);
      if (t.is_ok() && t->size() >= 4) {
        uint32_t hl = (*t)[t->size() - 4] | (*t)[t->size() - 3] << 8 | (*t)[t->size() - 2] << 16 |
                      static_cast<uint32_t>((*t)[t->size() - 1]) << 24;
        if (hl + 4ull > want && hl + 4ull <= size) t = repo_.backend().get(key, size - hl - 4, hl + 4);
      }
      if (!t.is_ok()) {
        problem(key.to_string(), "pack cannot be read: " + t.status().message());
        return mark_damaged(blobs);
      }
      data = std::move(*t);
      tail = data;
    }
    Result<std::vector<PackEntry>> header = decode_pack_header(repo_.sealer(), tail, size);
    if (!header.is_ok()) {
      problem(key.to_string(), "pack header is damaged: " + header.status().message());
      if (!options_.read_data) return mark_damaged(blobs);
    } else {
      std::unordered_map<BlobId, const PackEntry*, BlobIdHash> entries;
      for (const auto& e : *header) entries[e.id] = &e;
      for (const auto& [id, loc] : blobs) {
        auto it = entries.find(id);
        if (it == entries.end() || it->second->offset != loc.offset || it->second->length != loc.length ||
            it->second->delta != loc.delta ||
            (loc.delta && repo_.index().delta_base(id) != std::optional<BlobId>(it->second->base)))
          problem(key.to_string(),
                  "pack header disagrees with the index about blob " + id.hex().substr(0, 16));
      }
    }
    if (!options_.read_data) return;
    std::vector<std::pair<BlobId, BlobLocation>> bad;
    size_t reported = 0;
    for (const auto& [id, loc] : blobs) {
      if (uint64_t{loc.offset} + loc.length > data.size()) {
        bad.emplace_back(id, loc);
        continue;
      }
      Result<Bytes> plain = repo_.open_blob(id, loc, ByteView(data.data() + loc.offset, loc.length));
      if (!plain.is_ok()) {
        bad.emplace_back(id, loc);
        if (reported++ < 10) problem(key.to_string(), plain.status().message());
      }
    }
    if (reported > 10)
      problem(key.to_string(), std::to_string(reported - 10) + " more damaged blobs in this pack");
    mark_damaged(bad);
  }

  Status check_snapshots() {
    std::vector<std::string> damaged;
    CAIRN_ASSIGN_OR_RETURN(auto snaps, repo_.list_snapshots(&damaged));
    for (const auto& name : damaged) problem("snapshots/" + name, "snapshot is damaged and cannot be read");
    report_.snapshots = snaps.size();
    for (const auto& snap : snaps) {
      size_t before = report_.affected_files.size() + report_.problems.size();
      walk(snap.name, snap.tree, "");
      if (report_.affected_files.size() + report_.problems.size() != before)
        report_.affected_backups.push_back(snap.name);
    }
    return Status::ok();
  }

  // Returns true when the tree and everything below it is sound.
  bool walk(const std::string& backup, const BlobId& tree_id, const std::string& path) {
    if (clean_trees_.count(tree_id)) return true;
    if (damaged_.count(tree_id) || !repo_.index().contains(tree_id)) {
      problem("tree " + tree_id.hex().substr(0, 16), "folder " + (path.empty() ? "/" : path) +
                                                         " of backup \"" + backup +
                                                         "\" is lost: its tree blob is damaged or missing");
      return false;
    }
    Result<Tree> tree = repo_.read_tree(tree_id);
    if (!tree.is_ok()) {
      problem("tree " + tree_id.hex().substr(0, 16), "folder " + (path.empty() ? "/" : path) +
                                                         " of backup \"" + backup +
                                                         "\": " + tree.status().message());
      return false;
    }
    report_.trees++;
    bool sound = true;
    for (const Node& node : tree->nodes) {
      std::string child = path + "/" + node.name;
      if (node.type == NodeType::kDirectory) {
        sound &= walk(backup, node.subtree, child);
      } else if (node.type == NodeType::kFile) {
        for (const auto& c : node.content) {
          if (damaged_.count(c.id) || !repo_.index().contains(c.id)) {
            report_.affected_files.push_back({backup, child});
            sound = false;
            break;
          }
        }
      }
    }
    if (sound) clean_trees_.insert(tree_id);
    return sound;
  }

  Repository& repo_;
  const CheckOptions& options_;
  CheckProgress& progress_;
  std::mutex mu_;
  CheckReport report_;
  BlobSet damaged_;
  BlobSet clean_trees_;
};

}  // namespace

Result<CheckReport> check_repository(Repository& repo, const CheckOptions& options, CheckProgress* progress) {
  CheckProgress local;
  Checker checker(repo, options, progress ? *progress : local);
  return checker.run();
}

}  // namespace cairn
