#include "source/fs/fs_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "source/fs/fs_backup_internal.h"

namespace cairn {

// The selected paths as a tree of names: "/a/b" and "/a/c" share "a". The
// walker lists only these names in folders above a selected path, and the
// whole content of a selected one.
struct FsArchiver::PathTrie {
  std::map<std::string, PathTrie> children;  // std::string orders bytewise
  bool selected = false;
};

namespace {
int worker_count(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

int reader_count(int requested) {
  if (requested > 0) return requested;
  // Reads of many small files wait on the disk more than on the CPU:
  // several readers, each on its own batch (see FileBatch), keep a cold
  // disk's queue full. Measured on the kernel tree with caches dropped.
  return static_cast<int>(std::max(8u, 2 * std::thread::hardware_concurrency()));
}

size_t chunk_budget(const Repository& repo, int workers) {
  return std::max<size_t>(32u << 20, size_t{repo.config().chunker.max_size} * 2 * (workers + 2));
}

constexpr size_t kBatchFiles = 128;
constexpr uint64_t kBatchBytes = 8u << 20;

const Node* find_node(const Tree* tree, const std::string& name) {
  if (!tree) return nullptr;
  auto it = std::lower_bound(tree->nodes.begin(), tree->nodes.end(), name,
                             [](const Node& n, const std::string& k) { return n.name < k; });
  return it != tree->nodes.end() && it->name == name ? &*it : nullptr;
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}
}  // namespace

Result<std::string> normalize_backup_path(const std::string& path) {
  if (path.empty()) return invalid_argument("an empty --path was given");
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) return invalid_argument("cannot resolve path " + path + ": " + ec.message());
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  struct stat st;
  if (lstat(s.c_str(), &st) != 0) return errno_status(errno, "cannot back up " + s);
  return s;
}

FsArchiver::FsArchiver(Repository& repo, const FsBackupOptions& options, BackupProgress& progress)
    : repo_(repo),
      options_(options),
      progress_(progress),
      writer_(repo, 1),
      files_(64),
      chunks_(static_cast<size_t>(worker_count(options.worker_threads)) * 4),
      budget_(chunk_budget(repo, worker_count(options.worker_threads))) {
  for (const auto& g : options.exclude_globs) excludes_.add_glob(g);
  excludes_.set_marker_file(options.exclude_marker);
}

void FsArchiver::add_error(const std::string& path, const std::string& message) {
  std::lock_guard<std::mutex> lock(issues_mu_);
  errors_.push_back({path, message});
  progress_.errors++;
}

void FsArchiver::add_warning(const std::string& path, const std::string& message) {
  std::lock_guard<std::mutex> lock(issues_mu_);
  warnings_.push_back({path, message});
}

void FsArchiver::fail(const Status& s) {
  std::lock_guard<std::mutex> lock(issues_mu_);
  if (fatal_.is_ok()) fatal_ = s;
  failed_ = true;
}

std::optional<Tree> FsArchiver::load_prev_tree(const Node* prev) {
  if (!prev || prev->type != NodeType::kDirectory) return std::nullopt;
  Result<Tree> t = repo_.read_tree(prev->subtree);
  if (!t.is_ok()) return std::nullopt;  // a damaged parent only costs a full read
  return std::move(*t);
}

// A file whose size, mtime, ctime and inode match the parent backup is not
// read again: its chunk list is copied, if every chunk is still indexed.
bool FsArchiver::reuse_unchanged(Node& node, const Node* prev) {
  if (!prev || prev->type != NodeType::kFile) return false;
  if (prev->size != node.size || prev->mtime_ns != node.mtime_ns || prev->ctime_ns != node.ctime_ns ||
      prev->inode != node.inode)
    return false;
  for (const auto& c : prev->content)
    if (!repo_.index().contains(c.id)) return false;
  node.content = prev->content;
  return true;
}

void FsArchiver::release(DirState* ds) {
  while (ds && ds->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    Tree tree;
    tree.nodes.reserve(ds->tree.nodes.size());
    for (size_t i = 0; i < ds->tree.nodes.size(); ++i)
      if (!ds->dropped[i]) tree.nodes.push_back(std::move(ds->tree.nodes[i]));
    Bytes encoded = encode_tree(tree);
    BlobId id = repo_.hasher().id(encoded);
    Result<bool> added = writer_.add(BlobType::kTree, id, encoded);
    if (!added.is_ok()) fail(added.status());
    DirState* parent = ds->parent;
    if (parent) {
      parent->tree.nodes[ds->index_in_parent].subtree = id;
    } else {
      root_ = id;
      root_done_ = true;
    }
    delete ds;
    ds = parent;
  }
}

void FsArchiver::walk_dir(int dir_fd, const std::string& path, const PathTrie* trie, DirState* ds,
                          const Tree* prev) {
  std::vector<std::string> names;
  if (trie) {
    for (const auto& [name, child] : trie->children) names.push_back(name);
  } else {
    Result<std::vector<std::string>> listed = list_directory(dir_fd, path);
    if (!listed.is_ok()) {
      add_error(path, listed.status().message());
    } else {
      names = std::move(*listed);
    }
  }
  struct Pending {
    size_t index;
    std::string path;
    const PathTrie* trie;
    std::vector<ContentChunk> parent_chunks = {};
  };
  std::vector<Pending> files, dirs;
  for (const std::string& name : names) {
    if (failed_) break;
    std::string full = join_path(path, name);
    const PathTrie* child_trie = trie ? &trie->children.at(name) : nullptr;
    if (child_trie && child_trie->selected) child_trie = nullptr;  // back up all of it
    if (!trie && excludes_.excluded(full, name)) continue;
    Result<struct stat> st = lstat_at(dir_fd, name, full);
    if (!st.is_ok()) {
      add_error(full, st.status().message());
      continue;
    }
    EntryKind kind = entry_kind(*st);
    if (kind == EntryKind::kOther) {
      add_warning(full, "skipped: sockets, devices and fifos are not backed up");
      continue;
    }
    if (kind == EntryKind::kDirectory && !trie && !excludes_.marker_file().empty()) {
      struct stat mst;
      std::string marker = name + "/" + excludes_.marker_file();
      if (fstatat(dir_fd, marker.c_str(), &mst, AT_SYMLINK_NOFOLLOW) == 0) continue;
    }
    Node node = node_from_stat(name, *st);
    const Node* prev_node = find_node(prev, name);
    if (kind == EntryKind::kSymlink) {
      Result<std::string> target = read_link_at(dir_fd, name, full);
      if (!target.is_ok()) {
        add_error(full, target.status().message());
        continue;
      }
      node.link_target = std::move(*target);
      stats_.symlinks++;
    } else if (kind == EntryKind::kFile) {
      stats_.files++;
      stats_.bytes += node.size;
      progress_.files_total++;
      progress_.bytes_total += node.size;
      if (reuse_unchanged(node, prev_node)) {
        stats_.files_unchanged++;
        progress_.files_done++;
        progress_.bytes_done += node.size;
      } else {
        files.push_back({ds->tree.nodes.size(), full, nullptr,
                         options_.delta_against_parent && prev_node && prev_node->type == NodeType::kFile
                             ? prev_node->content
                             : std::vector<ContentChunk>{}});
      }
    } else {
      stats_.directories++;
      dirs.push_back({ds->tree.nodes.size(), full, child_trie});
    }
    ds->tree.nodes.push_back(std::move(node));
  }
  ds->dropped.assign(ds->tree.nodes.size(), 0);
  // The node vector is final from here on: jobs write into its elements.
  ds->pending += static_cast<int>(files.size() + dirs.size());
  FileBatch batch;
  uint64_t batch_bytes = 0;
  auto flush_batch = [&] {
    if (batch.empty()) return;
    if (failed_ || !files_.push(batch)) {
      for (FileState* f : batch) {
        delete f;
        release(ds);
      }
    }
    batch = FileBatch();
    batch_bytes = 0;
  };
  for (Pending& f : files) {
    auto* file = new FileState;
    file->dir = ds;
    file->index = f.index;
    file->path = f.path;
    file->parent_chunks = std::move(f.parent_chunks);
    batch.push_back(file);
    batch_bytes += ds->tree.nodes[f.index].size;
    if (batch.size() >= kBatchFiles || batch_bytes >= kBatchBytes) flush_batch();
  }
  flush_batch();
  for (const Pending& d : dirs) {
    auto* child = new DirState;
    child->parent = ds;
    child->index_in_parent = d.index;
    const std::string& name = ds->tree.nodes[d.index].name;
    int fd = failed_ ? -1 : openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (!failed_) add_error(d.path, errno_status(errno, "cannot open folder").message());
      release(child);  // stored as an empty folder
      continue;
    }
    std::optional<Tree> prev_tree = load_prev_tree(find_node(prev, name));
    walk_dir(fd, d.path, d.trie, child, prev_tree ? &*prev_tree : nullptr);
    close(fd);
  }
  release(ds);
}

Result<SnapshotManifest> FsArchiver::run() {
  SnapshotManifest m;
  m.name = options_.name;
  m.labels = options_.labels;
  m.source = options_.source;
  m.hostname = current_hostname();
  m.username = current_username();
  m.paths = options_.paths;
  std::sort(m.paths.begin(), m.paths.end());
  m.paths.erase(std::unique(m.paths.begin(), m.paths.end()), m.paths.end());
  m.excludes = options_.exclude_globs;
  const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock();
  m.started = clock.now();
  if (options_.ttl_seconds > 0) m.expires = m.started + options_.ttl_seconds * 1000000000;
  Result<ObjectInfo> existing =
      repo_.backend().stat({ObjectKind::kSnapshot, repo_.snapshot_object_name(m.name)});
  if (existing.is_ok())
    return already_exists("a backup named \"" + m.name + "\" already exists; choose another name");

  PathTrie trie;
  for (const std::string& p : m.paths) {
    PathTrie* t = &trie;
    for (const auto& part : std::filesystem::path(p).relative_path()) t = &t->children[part.string()];
    t->selected = true;
  }

  std::optional<Tree> prev_root;
  if (options_.use_parent) {
    CAIRN_ASSIGN_OR_RETURN(auto snaps, repo_.list_snapshots());
    for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
      const bool wanted = options_.parent_name.empty()
                              ? it->source == m.source && it->paths == m.paths &&
                                    it->hostname == m.hostname && it->status != BackupStatus::kFailed
                              : it->name == options_.parent_name;
      if (wanted) {
        Result<Tree> t = repo_.read_tree(it->tree);
        if (t.is_ok()) {
          prev_root = std::move(*t);
          m.parent = it->name;
        }
        break;
      }
    }
  }

  int workers = worker_count(options_.worker_threads);
  std::vector<std::thread> readers, cpu;
  for (int i = 0; i < reader_count(options_.reader_threads); ++i)
    readers.emplace_back([this] { read_loop(); });
  for (int i = 0; i < workers; ++i) cpu.emplace_back([this] { work_loop(); });

  int root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  auto* root = new DirState;
  walk_dir(root_fd, "/", trie.selected ? nullptr : &trie, root, prev_root ? &*prev_root : nullptr);
  close(root_fd);
  files_.close();
  for (auto& t : readers) t.join();
  chunks_.close();
  for (auto& t : cpu) t.join();
  if (failed_) return fatal_;
  CAIRN_RETURN_IF_ERROR(writer_.flush());
  if (!root_done_) return io_error("the backup did not finish its tree");

  m.tree = root_;
  m.completed = options_.clock != nullptr ? options_.clock->now() : system_clock().now();
  m.stats = stats_;
  m.stats.bytes_read = bytes_read_;
  m.stats.blobs_added = writer_.blobs_added();
  m.stats.bytes_added = writer_.bytes_added();
  m.errors = errors_;
  m.warnings = warnings_;
  m.status = m.errors.empty() ? BackupStatus::kCompleted : BackupStatus::kPartiallyFailed;
  if (options_.before_save) CAIRN_RETURN_IF_ERROR(options_.before_save(m));
  CAIRN_RETURN_IF_ERROR(repo_.save_snapshot(m));
  return m;
}

Result<SnapshotManifest> run_fs_backup(Repository& repo, const FsBackupOptions& options,
                                       BackupProgress* progress) {
  BackupProgress local;
  FsArchiver archiver(repo, options, progress ? *progress : local);
  return archiver.run();
}

}  // namespace cairn
