#include "source/fs/stream_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "common/bounded_queue.h"
#include "repo/blob_writer.h"
#include "source/fs/fs_backup_internal.h"
#include "source/fs/stream_command.h"

namespace cairn {

namespace {
// A pipe holds 64 KiB by default: a fast command then waits on every
// few reads. A larger pipe (best effort; capped by
// /proc/sys/fs/pipe-max-size) lets it run ahead by a chunk or so.
constexpr int kPipeBytes = 1 << 20;

int worker_count(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Chunk bytes handed to workers and not stored yet. Small: one reader
// cannot outrun the workers by much, and the stream may be very long.
size_t chunk_budget(const Repository& repo, int workers) {
  return std::max<size_t>(16u << 20, size_t{repo.config().chunker.max_size} * 2 * (workers + 2));
}

struct StreamChunkJob {
  ContentChunk* slot = nullptr;
  Bytes data;
};

class StreamArchiver {
 public:
  StreamArchiver(Repository& repo, const StreamBackupOptions& options, StreamProgress& progress)
      : repo_(repo),
        options_(options),
        progress_(progress),
        writer_(repo, 1),
        jobs_(static_cast<size_t>(worker_count(options.worker_threads)) * 4),
        budget_(chunk_budget(repo, worker_count(options.worker_threads))) {}

  Result<SnapshotManifest> run();

 private:
  Status read_stream(int fd);
  void work_loop();
  void fail(const Status& s);
  Result<BlobId> store_tree(const SnapshotManifest& m);

  Repository& repo_;
  const StreamBackupOptions& options_;
  StreamProgress& progress_;
  BlobWriter writer_;
  BoundedQueue<StreamChunkJob> jobs_;
  ChunkBufferPool buffers_;
  ByteBudget budget_;
  std::deque<ContentChunk> chunks_;  // in stream order; workers fill their slot
  uint64_t bytes_ = 0;
  std::mutex fail_mu_;
  Status fatal_;
  std::atomic<bool> failed_{false};
};

void StreamArchiver::fail(const Status& s) {
  std::lock_guard<std::mutex> lock(fail_mu_);
  if (fatal_.is_ok()) fatal_ = s;
  failed_ = true;
}

void StreamArchiver::work_loop() {
  while (auto job = jobs_.pop()) {
    const size_t len = job->data.size();
    if (!failed_) {
      BlobId id = repo_.hasher().id(job->data);
      job->slot->id = id;
      Result<bool> added = writer_.add(BlobType::kData, id, job->data);
      if (!added.is_ok())
        fail(added.status());
      else if (*added)
        progress_.bytes_added += len;
    }
    buffers_.give(std::move(job->data));
    budget_.release(len);
  }
}

// Cuts the stream into chunks on the calling thread and hands them to the
// workers. The window keeps at least one maximum chunk ahead of the cut
// point (or all that is left), as the chunker requires.
Status StreamArchiver::read_stream(int fd) {
  const Chunker& chunker = repo_.chunker();
  const size_t max = chunker.max_size();
  const size_t capacity = 2 * max;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[capacity]);
  size_t have = 0, start = 0;
  bool eof = false;
  while (!failed_) {
    while (!eof && have - start < max) {
      if (capacity - have < max) {
        std::memmove(buf.get(), buf.get() + start, have - start);
        have -= start;
        start = 0;
      }
      ssize_t r = read(fd, buf.get() + have, capacity - have);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_status(errno, "cannot read the stream");
      if (r == 0) {
        eof = true;
      } else {
        have += static_cast<size_t>(r);
        bytes_ += static_cast<uint64_t>(r);
        progress_.bytes_read += static_cast<uint64_t>(r);
      }
    }
    if (have == start) break;
    ByteView window(buf.get() + start, have - start);
    const size_t len = chunker.find_boundary(window);
    budget_.acquire(len);
    StreamChunkJob job;
    job.data = buffers_.take();
    job.data.assign(window.begin(), window.begin() + static_cast<ptrdiff_t>(len));
    chunks_.push_back(ContentChunk{BlobId{}, static_cast<uint32_t>(len)});
    job.slot = &chunks_.back();
    start += len;
    if (!jobs_.push(std::move(job))) {
      budget_.release(len);
      break;
    }
  }
  return Status::ok();
}

Result<BlobId> StreamArchiver::store_tree(const SnapshotManifest& m) {
  Node node;
  node.name = options_.filename;
  node.type = NodeType::kFile;
  node.mode = 0600;  // a dump holds a database's data: readable by its owner only
  node.uid = geteuid();
  node.gid = getegid();
  node.mtime_ns = m.started;
  node.ctime_ns = m.started;
  node.size = bytes_;
  node.content.assign(chunks_.begin(), chunks_.end());
  Tree tree;
  tree.nodes.push_back(std::move(node));
  Bytes encoded = encode_tree(tree);
  BlobId id = repo_.hasher().id(encoded);
  CAIRN_RETURN_IF_ERROR(writer_.add(BlobType::kTree, id, encoded).status());
  return id;
}

Result<SnapshotManifest> StreamArchiver::run() {
  SnapshotManifest m;
  m.name = options_.name;
  m.labels = options_.labels;
  m.source = "stream";
  m.command = options_.command;
  m.hostname = current_hostname();
  m.username = current_username();
  m.paths = {"/" + options_.filename};
  const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock();
  m.started = clock.now();
  if (options_.ttl_seconds > 0) m.expires = m.started + options_.ttl_seconds * 1000000000;
  Result<ObjectInfo> existing =
      repo_.backend().stat({ObjectKind::kSnapshot, repo_.snapshot_object_name(m.name)});
  if (existing.is_ok())
    return already_exists("a backup named \"" + m.name + "\" already exists; choose another name");

  std::unique_ptr<ChildCommand> child;
  int fd = options_.input_fd;
  if (!options_.command.empty()) {
    CAIRN_ASSIGN_OR_RETURN(child, ChildCommand::start(options_.command));
    fd = child->stdout_fd();
    (void)fcntl(fd, F_SETPIPE_SZ, kPipeBytes);
  }

  std::vector<std::thread> workers;
  for (int i = 0; i < worker_count(options_.worker_threads); ++i)
    workers.emplace_back([this] { work_loop(); });
  Status read = read_stream(fd);
  jobs_.close();
  for (auto& t : workers) t.join();
  if (!read.is_ok()) fail(read);
  if (failed_) {
    if (child) child->stop();
    return fatal_;
  }
  // The command's verdict before anything is committed: a dump that ended
  // in an error is not a backup.
  if (child) CAIRN_RETURN_IF_ERROR(child->finish());

  CAIRN_ASSIGN_OR_RETURN(m.tree, store_tree(m));
  CAIRN_RETURN_IF_ERROR(writer_.flush());
  m.completed = clock.now();
  m.stats.files = 1;
  m.stats.bytes = bytes_;
  m.stats.bytes_read = bytes_;
  m.stats.blobs_added = writer_.blobs_added();
  m.stats.bytes_added = writer_.bytes_added();
  m.status = BackupStatus::kCompleted;
  CAIRN_RETURN_IF_ERROR(repo_.save_snapshot(m));
  return m;
}
}  // namespace

Status check_stream_filename(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    return invalid_argument("--stdin-filename \"" + name +
                            "\" is not a file name: give a name without '/', such as db.dump");
  return Status::ok();
}

Result<SnapshotManifest> run_stream_backup(Repository& repo, const StreamBackupOptions& options,
                                           StreamProgress* progress) {
  CAIRN_RETURN_IF_ERROR(check_stream_filename(options.filename));
  StreamProgress local;
  StreamArchiver archiver(repo, options, progress ? *progress : local);
  return archiver.run();
}

}  // namespace cairn
