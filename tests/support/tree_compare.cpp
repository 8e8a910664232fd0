#include "support/tree_compare.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace cairn {
namespace {

using InodeKey = std::pair<dev_t, ino_t>;

// Names may be any bytes; a readable message shows the odd ones escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string octal(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", v);
  return buf;
}

std::string time_text(const struct timespec& ts) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09ld", static_cast<long long>(ts.tv_sec), ts.tv_nsec);
  return buf;
}

bool is_special(const struct stat& st) {
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode);
}

const char* type_name(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "folder";
  if (S_ISLNK(st.st_mode)) return "symlink";
  if (S_ISFIFO(st.st_mode)) return "fifo";
  if (S_ISSOCK(st.st_mode)) return "socket";
  return "device";
}

uint64_t allocated(const struct stat& st) { return static_cast<uint64_t>(st.st_blocks) * 512; }
bool has_holes(const struct stat& st) {
  return st.st_size > 0 && allocated(st) < static_cast<uint64_t>(st.st_size);
}

std::optional<std::vector<std::string>> list_names(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return std::nullopt;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  return names;
}

// The first offset where two files differ, or nullopt when equal; sizes are
// equal. A read error is reported as a difference at that offset.
std::optional<uint64_t> first_difference(const std::string& a, const std::string& b) {
  int fa = open(a.c_str(), O_RDONLY | O_CLOEXEC);
  int fb = open(b.c_str(), O_RDONLY | O_CLOEXEC);
  std::optional<uint64_t> result;
  if (fa < 0 || fb < 0) result = 0;
  std::vector<char> ba(1 << 16), bb(1 << 16);
  uint64_t offset = 0;
  while (!result) {
    ssize_t na = read(fa, ba.data(), ba.size());
    ssize_t nb = na <= 0 ? na : read(fb, bb.data(), static_cast<size_t>(na));
    if (na < 0 || nb != na) {
      result = offset;
      break;
    }
    if (na == 0) break;
    if (std::memcmp(ba.data(), bb.data(), static_cast<size_t>(na)) != 0) {
      auto mismatch = std::mismatch(ba.begin(), ba.begin() + na, bb.begin());
      result = offset + static_cast<uint64_t>(mismatch.first - ba.begin());
    }
    offset += static_cast<uint64_t>(na);
  }
  if (fa >= 0) close(fa);
  if (fb >= 0) close(fb);
  return result;
}

std::string read_link(const std::string& path) {
  std::vector<char> buf(1 << 16);
  ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
  return n < 0 ? std::string("<unreadable: ") + std::strerror(errno) + ">" : std::string(buf.data(), n);
}

class TreeComparer {
 public:
  TreeComparer(std::string expected_root, std::string actual_root, const CompareOptions& opts)
      : expected_root_(std::move(expected_root)), actual_root_(std::move(actual_root)), opts_(opts) {}

  std::vector<std::string> run() {
    compare_folder("");
    compare_hard_links(expected_groups_, actual_inode_, "expected", "actual");
    compare_hard_links(actual_groups_, expected_inode_, "actual", "expected");
    return std::move(diffs_);
  }

 private:
  void report(const std::string& rel, const std::string& what) {
    diffs_.push_back((rel.empty() ? std::string(".") : printable(rel)) + ": " + what);
  }

  // lstat of one side; nullopt when absent or skipped as special.
  std::optional<struct stat> look(const std::string& root, const std::string& rel) {
    struct stat st {};
    if (lstat((root + "/" + rel).c_str(), &st) != 0) return std::nullopt;
    if (opts_.ignore_special && is_special(st)) return std::nullopt;
    return st;
  }

  void compare_folder(const std::string& rel) {
    std::string suffix = rel.empty() ? "" : "/" + rel;
    auto expected = list_names(expected_root_ + suffix);
    auto actual = list_names(actual_root_ + suffix);
    if (!expected || !actual) {
      report(rel, std::string("cannot list folder in ") + (!expected ? "expected" : "actual"));
      return;
    }
    std::set<std::string> names(expected->begin(), expected->end());
    names.insert(actual->begin(), actual->end());
    for (const std::string& name : names) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      auto e = look(expected_root_, child);
      auto a = look(actual_root_, child);
      if (e && !a) report(child, std::string("only in expected (") + type_name(*e) + ")");
      if (a && !e) report(child, std::string("only in actual (") + type_name(*a) + ")");
      if (e && a) compare_entry(child, *e, *a);
    }
  }

  void compare_entry(const std::string& rel, const struct stat& e, const struct stat& a) {
    if ((e.st_mode & S_IFMT) != (a.st_mode & S_IFMT)) {
      report(rel,
             std::string("type differs: ") + type_name(e) + " in expected, " + type_name(a) + " in actual");
      return;
    }
    // A symlink's own mode is always 0777 on Linux and cannot be set.
    if (!S_ISLNK(e.st_mode) && (e.st_mode & 07777) != (a.st_mode & 07777)) {
      report(rel, "mode differs: " + octal(e.st_mode & 07777) + " expected, " + octal(a.st_mode & 07777) +
                      " actual");
    }
    bool check_mtime = !S_ISDIR(e.st_mode) || opts_.compare_dir_mtime;
    if (check_mtime && (e.st_mtim.tv_sec != a.st_mtim.tv_sec || e.st_mtim.tv_nsec != a.st_mtim.tv_nsec)) {
      report(rel,
             "mtime differs: " + time_text(e.st_mtim) + " expected, " + time_text(a.st_mtim) + " actual");
    }
    if (opts_.compare_owner && (e.st_uid != a.st_uid || e.st_gid != a.st_gid)) {
      report(rel, "owner differs: " + std::to_string(e.st_uid) + ":" + std::to_string(e.st_gid) +
                      " expected, " + std::to_string(a.st_uid) + ":" + std::to_string(a.st_gid) + " actual");
    }
    if (S_ISDIR(e.st_mode)) {
      compare_folder(rel);
    } else if (S_ISLNK(e.st_mode)) {
      std::string te = read_link(expected_root_ + "/" + rel), ta = read_link(actual_root_ + "/" + rel);
      if (te != ta)
        report(rel,
               "symlink target differs: '" + printable(te) + "' expected, '" + printable(ta) + "' actual");
    } else if (S_ISREG(e.st_mode)) {
      compare_file(rel, e, a);
    }
  }

  void compare_file(const std::string& rel, const struct stat& e, const struct stat& a) {
    expected_groups_[{e.st_dev, e.st_ino}].push_back(rel);
    actual_groups_[{a.st_dev, a.st_ino}].push_back(rel);
    expected_inode_[rel] = {e.st_dev, e.st_ino};
    actual_inode_[rel] = {a.st_dev, a.st_ino};
    if (e.st_size != a.st_size) {
      report(rel, "size differs: " + std::to_string(e.st_size) + " expected, " + std::to_string(a.st_size) +
                      " actual");
    } else if (auto at = first_difference(expected_root_ + "/" + rel, actual_root_ + "/" + rel)) {
      report(rel, "content differs at byte " + std::to_string(*at));
    }
    if (opts_.check_holes && has_holes(e) && !has_holes(a)) {
      report(rel, "holes missing: expected allocates " + std::to_string(allocated(e)) + " of " +
                      std::to_string(e.st_size) + " bytes, actual " + std::to_string(allocated(a)));
    }
    if (opts_.check_allocated_size && allocated(a) > allocated(e) + opts_.allocated_slack_bytes) {
      report(rel, "allocates too much: " + std::to_string(allocated(a)) + " bytes, expected " +
                      std::to_string(allocated(e)) + " + slack " +
                      std::to_string(opts_.allocated_slack_bytes));
    }
  }

  // Every group of names that is one file on side `side` must be one file
  // on the other side too.
  void compare_hard_links(const std::map<InodeKey, std::vector<std::string>>& groups,
                          const std::map<std::string, InodeKey>& other_inode, const char* side,
                          const char* other) {
    for (const auto& [key, rels] : groups) {
      if (rels.size() < 2) continue;
      std::set<InodeKey> other_files;
      for (const std::string& rel : rels) other_files.insert(other_inode.at(rel));
      if (other_files.size() == 1) continue;
      std::string list;
      for (const std::string& rel : rels) list += (list.empty() ? "" : ", ") + printable(rel);
      diffs_.push_back("hard links differ: " + list + " are one file in " + side + " but " +
                       std::to_string(other_files.size()) + " files in " + other);
    }
  }

  std::string expected_root_, actual_root_;
  CompareOptions opts_;
  std::vector<std::string> diffs_;
  std::map<InodeKey, std::vector<std::string>> expected_groups_, actual_groups_;
  std::map<std::string, InodeKey> expected_inode_, actual_inode_;
};

}  // namespace

std::vector<std::string> compare_trees(const std::string& expected_root, const std::string& actual_root,
                                       const CompareOptions& opts) {
  return TreeComparer(expected_root, actual_root, opts).run();
}

}  // namespace cairn
