// Reading file-system entries into tree Nodes, for the backup of volumes.
//
// Nouns:
//   EntryKind     what lstat found; kOther (sockets, devices, fifos) is
//                 skipped by backup with a warning.
//   DataRange     a [offset, offset+length) extent that holds data; the
//                 gaps between ranges are holes (SEEK_DATA / SEEK_HOLE).
//   ExcludeRules  --exclude globs and the per-directory marker file.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "repo/tree.h"

namespace cairn {

enum class EntryKind { kFile, kDirectory, kSymlink, kOther };

EntryKind entry_kind(const struct stat& st);

// Fills every Node field that lstat gives (not content, not subtree).
// For a symlink, link_target must be read by the caller (read_link_at).
// A folder's size is 0: st_size of a folder differs between file systems
// and is never restored, so it would only make unchanged trees differ.
Node node_from_stat(const std::string& name, const struct stat& st);

// lstat relative to an open directory. Errors name the path.
Result<struct stat> lstat_at(int dir_fd, const std::string& name, const std::string& path_for_errors);
Result<std::string> read_link_at(int dir_fd, const std::string& name, const std::string& path_for_errors);

// Entry names of an open directory (not "." or ".."), sorted bytewise.
// The directory fd is not consumed.
Result<std::vector<std::string>> list_directory(int dir_fd, const std::string& path_for_errors);

struct DataRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// The data extents of an open regular file of the given size, in order and
// within [0, size). For a file without holes (or a file system without
// SEEK_DATA) one range [0, size); for size 0 (or a file that is all hole)
// no ranges. Moves the file offset of fd: read the ranges with pread.
// path_for_errors is only used in error messages.
Result<std::vector<DataRange>> data_ranges(int fd, uint64_t size,
                                           const std::string& path_for_errors = "file");

// True when the file occupies fewer blocks than its size needs: it has holes.
bool looks_sparse(const struct stat& st);

class ExcludeRules {
 public:
  // Globs as fnmatch(3) patterns; '*' and '?' never match a '/'.
  //   "/data/tmp/*"  starts with '/': matches the whole path.
  //   "tmp/*.o"      has a '/' elsewhere: matches the path's last components
  //                  (as many as the pattern has), e.g. "/home/u/tmp/a.o".
  //   "*.log"        no '/': matches the entry's name, at any depth.
  // Trailing slashes are dropped ("cache/" is "cache"); there is no "**".
  // An excluded folder is skipped with everything below it.
  void add_glob(const std::string& pattern);
  // A folder holding a file with this name is skipped whole (like restic's
  // --exclude-if-present and borg's --exclude-caches).
  void set_marker_file(const std::string& name) { marker_ = name; }
  const std::string& marker_file() const { return marker_; }

  // path is absolute as it was given on the command line joined with the
  // entry names; name is its last component.
  bool excluded(const std::string& path, const std::string& name) const;

 private:
  std::vector<std::string> path_globs_;
  std::vector<std::string> name_globs_;
  std::string marker_;
};

}  // namespace cairn
