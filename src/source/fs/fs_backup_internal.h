// Internal state of the file-system backup pipeline (fs_backup.cpp,
// fs_reader.cpp). Not part of the module's public interface.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/bounded_queue.h"
#include "repo/blob_writer.h"
#include "source/fs/fs_backup.h"
#include "source/fs/fs_entry.h"

namespace cairn {

// One folder being backed up. pending counts the walker's own hold plus
// every child (file read or sub-folder) not finished yet; whoever brings it
// to zero encodes and stores the folder's Tree and releases the parent.
struct DirState {
  DirState* parent = nullptr;
  size_t index_in_parent = 0;
  Tree tree;
  std::vector<char> dropped;  // per node: leave out of the tree (unreadable)
  std::atomic<int> pending{1};
};

// One file being read. Chunks are appended by its reader; each worker
// fills the slot it was given (deque elements never move).
struct FileState {
  DirState* dir = nullptr;
  size_t index = 0;
  std::string path;
  std::deque<ContentChunk> chunks;
  // The parent backup's chunks of this file, to store changed chunks as
  // deltas against (FsBackupOptions::delta_against_parent); else empty.
  std::vector<ContentChunk> parent_chunks;
  size_t parent_next = 0;       // the first parent chunk not wholly before parent_offset
  uint64_t parent_offset = 0;   // where parent_chunks[parent_next] starts
  std::atomic<int> pending{1};  // the reader's hold plus one per chunk in flight
  uint64_t bytes = 0;
  bool failed = false;
};

// Neighbouring files of one folder, read by one reader in order: files of a
// folder tend to sit together on disk, and several readers each working
// through their own stretch read a cold disk far faster than several
// readers taking turns on neighbouring files.
using FileBatch = std::vector<FileState*>;

struct ChunkJob {
  FileState* file = nullptr;
  ContentChunk* slot = nullptr;
  Bytes data;
  std::optional<BlobId> delta_base;
};

// Chunk buffers handed from readers to workers and back. Each is as large
// as a chunk (up to 2 MiB), so a new one per chunk would be fresh pages,
// faulted in and zeroed, for every byte backed up; recycled, the same few
// stay resident. Holds at most kKept; the byte budget bounds how many are
// in use at once anyway.
class ChunkBufferPool {
 public:
  static constexpr size_t kKept = 16;
  Bytes take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return Bytes();
    Bytes b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void give(Bytes&& b) {
    b.clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kKept) free_.push_back(std::move(b));
    b = Bytes();
  }

 private:
  std::mutex mu_;
  std::vector<Bytes> free_;
};

class FsArchiver {
 public:
  FsArchiver(Repository& repo, const FsBackupOptions& options, BackupProgress& progress);
  Result<SnapshotManifest> run();

 private:
  struct PathTrie;
  Status check_paths();
  void walk_dir(int dir_fd, const std::string& path, const PathTrie* trie, DirState* ds, const Tree* prev);
  bool reuse_unchanged(Node& node, const Node* prev);
  void read_loop();
  void read_file(FileState* file);
  void work_loop();
  // Hashes, deduplicates and stores one chunk, filling its slot.
  void store_chunk(ContentChunk* slot, ByteView data, const std::optional<BlobId>& delta_base);
  // The parent's chunk covering the file's bytes from offset (called with
  // increasing offsets), or nullopt.
  static std::optional<BlobId> parent_chunk_at(FileState& file, uint64_t offset);
  size_t chunk_length(ByteView window) const;
  void file_done(FileState* file);
  void release(DirState* ds);
  void add_error(const std::string& path, const std::string& message);
  void add_warning(const std::string& path, const std::string& message);
  void fail(const Status& s);
  std::optional<Tree> load_prev_tree(const Node* prev);

  Repository& repo_;
  const FsBackupOptions& options_;
  BackupProgress& progress_;
  ExcludeRules excludes_;
  BlobWriter writer_;
  BoundedQueue<FileBatch> files_;
  BoundedQueue<ChunkJob> chunks_;
  ChunkBufferPool chunk_buffers_;
  ByteBudget budget_;
  std::mutex issues_mu_;
  BackupStats stats_;  // walker-owned fields; atomics below for the rest
  std::atomic<uint64_t> bytes_read_{0}, blobs_added_{0};
  std::vector<BackupIssue> errors_, warnings_;
  std::atomic<bool> failed_{false};
  Status fatal_;
  BlobId root_;
  bool root_done_ = false;
  std::string parent_name_;
};

}  // namespace cairn
