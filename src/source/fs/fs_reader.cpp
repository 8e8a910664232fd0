// The reading and hashing stages of the file-system backup pipeline.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "source/fs/fs_backup_internal.h"

namespace cairn {

namespace {
int open_for_backup(const std::string& path) {
  // O_NOATIME keeps reads from touching atime (and so ctime-based change
  // detection elsewhere); only the owner or root may ask for it.
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  return fd;
}

// Reads [offset, offset + n) of the file as it logically is: data extents
// from disk, holes as zeros without reading them.
class LogicalReader {
 public:
  LogicalReader(int fd, std::vector<DataRange> ranges) : fd_(fd), ranges_(std::move(ranges)) {}

  // Reads up to n bytes at offset; returns bytes produced, 0 at end, -1 on error (errno set).
  ssize_t read(uint64_t offset, uint8_t* out, size_t n, uint64_t size) {
    if (offset >= size) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, size - offset));
    while (next_ < ranges_.size() && ranges_[next_].offset + ranges_[next_].length <= offset) ++next_;
    if (next_ == ranges_.size() || ranges_[next_].offset > offset) {
      uint64_t hole_end = next_ == ranges_.size() ? size : ranges_[next_].offset;
      size_t z = static_cast<size_t>(std::min<uint64_t>(n, hole_end - offset));
      std::memset(out, 0, z);
      return static_cast<ssize_t>(z);
    }
    uint64_t data_end = ranges_[next_].offset + ranges_[next_].length;
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, data_end - offset));
    for (;;) {
      ssize_t r = pread(fd_, out, want, static_cast<off_t>(offset));
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) disk_bytes_ += static_cast<uint64_t>(r);
      return r;
    }
  }

  uint64_t disk_bytes() const { return disk_bytes_; }

 private:
  int fd_;
  uint64_t disk_bytes_ = 0;
  std::vector<DataRange> ranges_;
  size_t next_ = 0;
};
}  // namespace

void FsArchiver::read_loop() {
  while (auto batch = files_.pop()) {
    for (FileState* file : *batch) {
      if (failed_) {
        file->failed = true;
        file_done(file);
      } else {
        read_file(file);
      }
    }
  }
}

void FsArchiver::read_file(FileState* file) {
  Node& node = file->dir->tree.nodes[file->index];
  int fd = open_for_backup(file->path);
  if (fd < 0) {
    add_error(file->path, errno_status(errno, "cannot read " + file->path).message());
    file->failed = true;
    file_done(file);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    // The file may have changed since the walker saw it; describe what is read.
    Node fresh = node_from_stat(node.name, st);
    node.size = fresh.size;
    node.mtime_ns = fresh.mtime_ns;
    node.ctime_ns = fresh.ctime_ns;
    node.inode = fresh.inode;
    node.sparse = fresh.sparse;
  }
  std::vector<DataRange> ranges{{0, node.size}};
  if (node.sparse) {
    Result<std::vector<DataRange>> r = data_ranges(fd, node.size, file->path);
    if (r.is_ok()) ranges = std::move(*r);
  }
  LogicalReader reader(fd, std::move(ranges));
  const Chunker& chunker = repo_.chunker();
  const size_t max = chunker.max_size();
  Bytes buf(std::min<uint64_t>(max * 2, std::max<uint64_t>(node.size, 1)));
  size_t have = 0, start = 0;
  uint64_t offset = 0;
  bool eof = false;
  int read_errno = 0;
  while (!failed_) {
    // Keep at least max bytes in the buffer (or all that is left).
    while (!eof && have - start < max) {
      if (start > 0 && buf.size() - have < max) {
        std::memmove(buf.data(), buf.data() + start, have - start);
        have -= start;
        start = 0;
      }
      if (offset >= node.size) {  // read what stat promised; growth is the next backup's
        eof = true;
        break;
      }
      if (have == buf.size()) buf.resize(std::max(buf.size() * 2, max * 2));
      ssize_t r = reader.read(offset, buf.data() + have, buf.size() - have, node.size);
      if (r < 0) {
        read_errno = errno;
        eof = true;
        break;
      }
      if (r == 0) eof = true;
      have += static_cast<size_t>(r);
      offset += static_cast<uint64_t>(r);
    }
    if (read_errno || have == start) break;
    ByteView window(buf.data() + start, have - start);
    size_t len = chunker.find_boundary(window);
    if (eof && len == window.size() && file->chunks.empty()) {
      // The whole file is one chunk (most files are small): store it here
      // rather than pay a hand-off to a worker.
      file->chunks.push_back(ContentChunk{BlobId{}, static_cast<uint32_t>(len)});
      file->bytes += len;
      store_chunk(&file->chunks.back(), window);
      break;
    }
    budget_.acquire(len);
    ChunkJob job;
    job.file = file;
    job.data.assign(window.begin(), window.begin() + static_cast<ptrdiff_t>(len));
    file->chunks.push_back(ContentChunk{BlobId{}, static_cast<uint32_t>(len)});
    job.slot = &file->chunks.back();
    file->bytes += len;
    file->pending.fetch_add(1, std::memory_order_relaxed);
    start += len;
    if (!chunks_.push(std::move(job))) {
      budget_.release(len);
      file->pending.fetch_sub(1);
      break;
    }
  }
  close(fd);
  bytes_read_ += reader.disk_bytes();
  progress_.bytes_read += reader.disk_bytes();
  if (read_errno) {
    add_error(file->path, errno_status(read_errno, "cannot read " + file->path).message());
    file->failed = true;
  } else if (file->bytes != node.size) {
    add_warning(file->path, "file changed size while it was read");
  }
  file_done(file);
}

void FsArchiver::store_chunk(ContentChunk* slot, ByteView data) {
  BlobId id = repo_.hasher().id(data);
  slot->id = id;
  Result<bool> added = writer_.add(BlobType::kData, id, data);
  if (!added.is_ok()) {
    fail(added.status());
  } else if (*added) {
    progress_.bytes_added += data.size();
  }
}

void FsArchiver::work_loop() {
  while (auto job = chunks_.pop()) {
    size_t len = job->data.size();
    if (!failed_) store_chunk(job->slot, job->data);
    job->data = Bytes();
    budget_.release(len);
    file_done(job->file);
  }
}

// Called once by the reader and once per chunk; the last call completes the file.
void FsArchiver::file_done(FileState* file) {
  if (file->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  DirState* dir = file->dir;
  if (file->failed) {
    dir->dropped[file->index] = 1;
  } else {
    Node& node = dir->tree.nodes[file->index];
    node.content.assign(file->chunks.begin(), file->chunks.end());
    node.size = file->bytes;
    progress_.files_done++;
    progress_.bytes_done += file->bytes;
  }
  delete file;
  release(dir);
}

}  // namespace cairn
