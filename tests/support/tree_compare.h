// Comparing and building file trees, for round-trip tests (back up a tree,
// restore it, compare).
//
// compare_trees walks two folders and lists every difference a restore
// must not have: names, types, bytes, modes, times, owners, symlink
// targets, hard-link structure and holes. The roots themselves are not
// compared, only what is below them.
//
// make_every_kind_tree builds one tree holding every kind of entry and
// metadata the backup must carry (and two it must skip), with deterministic
// content so failures reproduce.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn {

struct CompareOptions {
  bool compare_owner = true;      // uid and gid of every entry (lstat)
  bool compare_dir_mtime = true;  // folders' mtimes (files' and symlinks' always)
  // An expected file with holes (st_blocks * 512 < size) must have holes in
  // actual too.
  bool check_holes = true;
  // Also: actual may not allocate more than expected's allocation plus
  // allocated_slack_bytes (catches a restore that filled only some holes).
  bool check_allocated_size = false;
  uint64_t allocated_slack_bytes = 256 * 1024;
  // Sockets, fifos and devices are not backed up: skip them on both sides.
  bool ignore_special = true;
};

// Human-readable differences, one per line, each starting with the path
// relative to the roots (non-printable bytes shown as \xNN). Empty when the
// trees are the same. A root that cannot be read is reported as a difference.
std::vector<std::string> compare_trees(const std::string& expected_root, const std::string& actual_root,
                                       const CompareOptions& opts = {});

// Deterministic pseudo-random bytes (the same size and seed always give the
// same bytes).
std::string random_bytes(size_t size, uint64_t seed);

// Writes random_bytes(size, seed) to path (created or truncated, mode 0644;
// missing parent folders are created)
// and returns them. Throws std::runtime_error on failure, like every
// builder here, so a broken fixture fails the test with the reason.
std::string make_random_file(const std::string& path, size_t size, uint64_t seed);

// Paths (relative to the root) of make_every_kind_tree's notable entries.
namespace every_kind {
inline constexpr const char* kSparseFile = "sparse.bin";  // 8 MiB: data at 0 and 4 MiB
inline constexpr uint64_t kSparseSize = 8 << 20;
inline constexpr uint64_t kSparseExtent = 64 << 10;  // each data extent's size
inline constexpr uint64_t kSparseSecondOffset = 4 << 20;
inline constexpr const char* kBigFile = "files/random-3MiB";  // 3 MiB of random bytes
inline constexpr const char* kHardLinks[] = {"files/hard-1", "files/hard-2", "a/hard-3"};
inline constexpr const char* kNonUtf8Name = "names/\xff\xfe-latin1-\xe9";
inline constexpr const char* kSetuidFile = "modes/setuid-4755";
inline constexpr const char* kStickyDir = "modes/sticky-1777";
inline constexpr const char* kOwnedFile = "owned-1234-5678";  // uid 1234, gid 5678 when root
inline constexpr const char* kSocket = "special/socket";
inline constexpr const char* kFifo = "special/fifo";
inline constexpr int64_t kBaseMtimeNs = 1600000000123456789;  // 2020-09-13, with nanoseconds
}  // namespace every_kind

// Creates root (if missing) and fills it:
//   a/b/c/deep.txt                 3 levels of folders
//   empty/                         an empty folder
//   files/size-0, size-1, size-4095, size-4096, size-1MiB+7, random-3MiB
//   sparse.bin                     see every_kind::kSparse*
//   links/relative -> ../files/size-1, absolute -> <root>/files/size-1,
//   links/dangling -> does-not-exist, to-folder -> ../a
//   files/hard-1, files/hard-2, a/hard-3: one file with three names
//   names/\xff\xfe-latin1-\xe9, names/with space, names/new\nline
//   modes/mode-0600, mode-0755, mode-0444, setuid-4755, sticky-1777/
//   owned-1234-5678                chowned (only when running as root)
//   special/socket, special/fifo   must be skipped by backup
// Every file, symlink and folder gets a distinct mtime with nanoseconds
// (folders last, bottom-up, so their content does not change them).
void make_every_kind_tree(const std::string& root);

}  // namespace cairn
