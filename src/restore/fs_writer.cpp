#include "restore/fs_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "restore/fs_util.h"

namespace cairn {
namespace {

// Holes are kept at this granularity: the block size of ext4, xfs, tmpfs
// and btrfs on x86-64. A zero run shorter than a block could not become a
// hole anyway.
constexpr uint64_t kHoleBlock = 4096;

// A full disk is the one write error a user can fix without a bug report,
// so it gets its own code and a sentence that says what to do about it.
Status write_error(int err, const std::string& final_path) {
  if (err == ENOSPC || err == EDQUOT) {
    return Status(ErrorCode::kNoSpace, "no space left on device while writing " + final_path);
  }
  return errno_status(err, "writing " + final_path);
}

Status pwrite_all(int fd, const uint8_t* data, size_t size, uint64_t offset, const std::string& final_path) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return write_error(errno, final_path);
    }
    if (n == 0) return write_error(ENOSPC, final_path);  // no progress: the device is full
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

// Starts writing the range to disk without waiting for it, so that the
// restore's one syncfs at the end finds little left to flush: writeback
// overlaps the decrypting and decompressing of the next chunks instead of
// following them (PostgreSQL's checkpoint_flush_after does the same). Only
// a hint: a file system that refuses it is flushed by the syncfs anyway.
void start_writeback(int fd, uint64_t offset, uint64_t length) {
  (void)sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
}

// Writes at least this large start their writeback at once; smaller files
// start theirs at commit.
constexpr size_t kWritebackMin = 256 * 1024;

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

}  // namespace

FileWriter::FileWriter(std::string final_path, std::string temp_path, int fd, Node node)
    : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)), fd_(fd), node_(std::move(node)) {}

Result<std::unique_ptr<FileWriter>> FileWriter::create(const std::string& final_path, const Node& node) {
  // A random name can collide with a leftover of an earlier run; O_EXCL
  // turns that into EEXIST and we draw again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(std::string temp_path, temp_path_beside(final_path));
    int fd = open(temp_path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
      return std::unique_ptr<FileWriter>(new FileWriter(final_path, std::move(temp_path), fd, node));
    }
    if (errno == ENOSPC || errno == EDQUOT) return write_error(errno, final_path);
    if (errno != EEXIST) return errno_status(errno, "creating a temp file beside " + final_path);
  }
  return already_exists("creating a temp file beside " + final_path + ": every name tried exists");
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) close(fd_);  // error ignored: the file is being thrown away
  if (!committed_) unlink(temp_path_.c_str());
}

Status FileWriter::write_at(uint64_t offset, ByteView data) {
  if (fd_ < 0) return invalid_argument("writing " + final_path_ + ": file already committed or closed");
  if (!node_.sparse) {
    CAIRN_RETURN_IF_ERROR(pwrite_all(fd_, data.data(), data.size(), offset, final_path_));
    if (data.size() >= kWritebackMin) start_writeback(fd_, offset, data.size());
    return Status::ok();
  }

  // Walk the data in blocks aligned to file offsets (the first may be
  // partial), writing each run of non-zero blocks in one pwrite. Zero
  // blocks are skipped: the temp file is new, so they read back as zeros
  // and stay holes.
  size_t pos = 0;
  size_t run_start = 0;
  bool in_run = false;
  while (pos < data.size()) {
    uint64_t file_pos = offset + pos;
    size_t block =
        static_cast<size_t>(std::min<uint64_t>(kHoleBlock - file_pos % kHoleBlock, data.size() - pos));
    bool zero = all_zero(data.data() + pos, block);
    if (!zero && !in_run) {
      run_start = pos;
      in_run = true;
    } else if (zero && in_run) {
      CAIRN_RETURN_IF_ERROR(
          pwrite_all(fd_, data.data() + run_start, pos - run_start, offset + run_start, final_path_));
      in_run = false;
    }
    pos += block;
  }
  if (in_run) {
    CAIRN_RETURN_IF_ERROR(
        pwrite_all(fd_, data.data() + run_start, pos - run_start, offset + run_start, final_path_));
  }
  return Status::ok();
}

Status FileWriter::commit(const RestoreOwnership& ownership) {
  if (fd_ < 0) return invalid_argument("committing " + final_path_ + ": file already committed or closed");
  // ftruncate both cuts and extends: extending creates the trailing hole of
  // a sparse file and the zero tail of a file whose last chunks were zero.
  if (ftruncate(fd_, static_cast<off_t>(node_.size)) != 0) return write_error(errno, final_path_);
  if (ownership.restore_owner && fchown(fd_, node_.uid, node_.gid) != 0) {
    return errno_status(errno, "setting owner of " + final_path_);
  }
  // chmod after chown: chown clears setuid and setgid.
  if (fchmod(fd_, static_cast<mode_t>(node_.mode & 07777)) != 0) {
    return errno_status(errno, "setting mode of " + final_path_);
  }
  struct timespec times[2];
  times_from_mtime(node_.mtime_ns, times);
  if (futimens(fd_, times) != 0) return errno_status(errno, "setting times of " + final_path_);
  start_writeback(fd_, 0, 0);  // 0, 0: the whole file
  // close can report a deferred write error (NFS, quotas).
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return write_error(errno, final_path_);
  CAIRN_RETURN_IF_ERROR(rename_into_place(temp_path_, final_path_));
  committed_ = true;
  return Status::ok();
}

}  // namespace cairn
