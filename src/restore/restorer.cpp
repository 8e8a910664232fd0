#include "restore/restorer.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "restore/restorer_internal.h"

namespace cairn {

namespace {

// How a snapshot path relates to the include list.
enum class Selection { kNone, kAncestor, kAll };

Selection select(const std::string& path, const std::vector<std::string>& includes) {
  if (includes.empty()) return Selection::kAll;
  Selection best = Selection::kNone;
  for (const std::string& inc : includes) {
    if (path == inc || (path.size() > inc.size() && path.compare(0, inc.size(), inc) == 0 &&
                        (inc == "/" || path[inc.size()] == '/')))
      return Selection::kAll;
    if (inc.size() > path.size() && inc.compare(0, path.size(), path) == 0 &&
        (path == "/" || inc[path.size()] == '/'))
      best = Selection::kAncestor;
  }
  return best;
}

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

class Planner {
 public:
  using FlushFn = std::function<void()>;
  Planner(Repository& repo, const RestoreOptions& options, RestorePlan& plan, RestoreProgress& progress,
          FlushFn flush)
      : repo_(repo), options_(options), plan_(plan), progress_(progress), flush_(std::move(flush)) {}

  Status plan_tree(const BlobId& tree_id, const std::string& snap_path, bool all) {
    CAIRN_ASSIGN_OR_RETURN(Tree tree, repo_.read_tree(tree_id));
    for (Node& node : tree.nodes) {
      std::string path = child_path(snap_path, node.name);
      Selection sel = all ? Selection::kAll : select(path, options_.includes);
      if (sel == Selection::kNone) continue;
      if (sel == Selection::kAll) matched_ = true;
      std::string target = options_.target + path;
      const std::string& strip = options_.strip_prefix;
      bool above_strip = false;  // an ancestor of strip_prefix: not restored, only walked
      if (!strip.empty()) {
        if (path == strip) {
          target = options_.target;
        } else if (path.size() > strip.size() && path.compare(0, strip.size(), strip) == 0 &&
                   path[strip.size()] == '/') {
          target = options_.target + path.substr(strip.size());
        } else if (strip.size() > path.size() && strip.compare(0, path.size(), path) == 0 &&
                   strip[path.size()] == '/' && node.type == NodeType::kDirectory) {
          above_strip = true;
        } else {
          continue;  // outside strip_prefix
        }
      }
      switch (node.type) {
        case NodeType::kDirectory:
          if (!above_strip) plan_.directories.emplace_back(target, node);
          CAIRN_RETURN_IF_ERROR(plan_tree(node.subtree, path, sel == Selection::kAll));
          break;
        case NodeType::kSymlink:
          if (sel == Selection::kAll) plan_.symlinks.emplace_back(target, node);
          break;
        case NodeType::kFile:
          if (sel == Selection::kAll) plan_file(target, std::move(node));
          break;
      }
    }
    return Status::ok();
  }

  bool matched() const { return matched_; }

 private:
  void plan_file(const std::string& target, Node node) {
    if (node.links > 1) {
      auto key = std::make_pair(node.device, node.inode);
      auto [it, first] = first_link_.emplace(key, target);
      if (!first) {
        plan_.hardlinks.emplace_back(target, it->second);
        return;
      }
    }
    auto file = std::make_unique<RestoreFile>();
    file->path = target;
    progress_.files_total++;
    progress_.bytes_total += node.size;
    uint64_t offset = 0;
    int chunks = 0;
    for (const ContentChunk& c : node.content) {
      std::optional<BlobLocation> loc = repo_.index().find(c.id);
      if (!loc) {
        file->failed = true;
        file->error = "its data blob " + c.id.hex().substr(0, 16) + " is missing from the repository";
        break;
      }
      auto& blobs = plan_.packs[loc->pack];
      blobs.push_back(PackBlob{c.id, *loc, {BlobUse{file.get(), offset}}});
      offset += c.size;
      ++chunks;
    }
    if (file->failed) {
      // Withdraw the uses queued before the missing blob was found.
      for (auto& [pack, blobs] : plan_.packs)
        blobs.erase(std::remove_if(blobs.begin(), blobs.end(),
                                   [&](const PackBlob& b) { return b.uses[0].file == file.get(); }),
                    blobs.end());
      chunks = 0;
    }
    file->pending = chunks;
    file->node = std::move(node);
    file->node.content = {};  // planned above; the writer needs only the metadata
    plan_.files.push_back(std::move(file));
    window_entries_ += 1 + static_cast<size_t>(chunks);
    // Restored in windows so that a restore of millions of files holds one
    // window's plan, not all of it (1,000,000 tiny files: 779 MB before). A
    // window is large enough that its packs are still read front to back.
    if (window_entries_ >= std::max<size_t>(1, options_.window_entries)) {
      flush_();
      window_entries_ = 0;
    }
  }

  Repository& repo_;
  const RestoreOptions& options_;
  RestorePlan& plan_;
  RestoreProgress& progress_;
  FlushFn flush_;
  std::map<std::pair<uint64_t, uint64_t>, std::string> first_link_;
  bool matched_ = false;
  size_t window_entries_ = 0;
};

void raise_open_file_limit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}
}  // namespace

Result<RestoreResult> restore_snapshot(Repository& repo, const SnapshotManifest& snapshot,
                                       const RestoreOptions& options, RestoreProgress* progress_in) {
  RestoreProgress local;
  RestoreProgress& progress = progress_in ? *progress_in : local;
  RestoreOptions opts = options;
  while (opts.target.size() > 1 && opts.target.back() == '/') opts.target.pop_back();
  if (opts.target == "/") opts.target.clear();  // restoring in place: paths map to themselves
  for (std::string& inc : opts.includes) {
    inc = std::filesystem::path(inc).lexically_normal().string();
    while (inc.size() > 1 && inc.back() == '/') inc.pop_back();
    if (inc.empty() || inc[0] != '/') inc = "/" + inc;
  }
  if (!opts.target.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.target, ec);
    if (ec) return errno_status(ec.value(), "cannot create the restore target " + opts.target);
  }
  raise_open_file_limit();

  RestorePlan plan;
  RestoreResult result;
  RestoreOwnership ownership{opts.restore_owner};
  size_t directories_made = 0;
  // Restores the files planned so far (their folders first) and forgets them.
  auto restore_window = [&] {
    for (; directories_made < plan.directories.size(); ++directories_made) {
      const std::string& path = plan.directories[directories_made].first;
      Status s = ensure_directory(path);
      if (!s.is_ok()) result.errors.push_back({path, s.message()});
    }
    for (auto& file : plan.files) {
      if (file->failed) continue;
      if (file->pending == 0) {
        // Empty file (or one made only of holes): nothing to fetch.
        file->pending = 1;
        chunk_written(*file, ownership, progress);
      }
    }
    restore_data(repo, plan, opts, progress);
    for (auto& file : plan.files) {
      if (file->failed) {
        result.errors.push_back({file->path, "not restored: " + file->error});
      } else {
        result.files++;
        result.bytes += file->node.size;
      }
    }
    plan.files.clear();
    plan.packs.clear();
  };
  Planner planner(repo, opts, plan, progress, restore_window);
  CAIRN_RETURN_IF_ERROR(
      planner.plan_tree(snapshot.tree, "/", false).with_context("reading the backup's tree"));
  if (!opts.includes.empty() && !planner.matched())
    return not_found("no path in backup \"" + snapshot.name + "\" matches the --include paths given");
  restore_window();

  for (const auto& [path, first] : plan.hardlinks) {
    Status s = restore_hardlink(first, path);
    if (s.is_ok())
      result.hardlinks++;
    else
      result.errors.push_back({path, "hard link not restored: " + s.message()});
  }
  for (const auto& [path, node] : plan.symlinks) {
    Status s = restore_symlink(path, node, ownership);
    if (s.is_ok())
      result.symlinks++;
    else
      result.errors.push_back({path, s.message()});
  }
  // Children first, so writing into a folder does not change its mtime afterwards.
  for (auto it = plan.directories.rbegin(); it != plan.directories.rend(); ++it) {
    Status s = apply_directory_metadata(it->first, it->second, ownership);
    if (s.is_ok())
      result.directories++;
    else
      result.errors.push_back({it->first, s.message()});
  }
  Status synced = sync_filesystem(opts.target.empty() ? "/" : opts.target);
  if (!synced.is_ok()) result.errors.push_back({opts.target, synced.message()});
  progress.errors += result.errors.size();
  return result;
}

}  // namespace cairn
