// make_every_kind_tree and the random-content helpers of tree_compare.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "support/tree_compare.h"

namespace cairn {
namespace {

// A fixture that cannot be built makes the test meaningless: throw, and
// GoogleTest fails the test with this message.
void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("building test tree: " + what + ": " + std::strerror(errno));
}

void make_dir(const std::string& path) {
  check(mkdir(path.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + path);
}

void write_at(int fd, const std::string& data, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
    check(n > 0, "write " + path);
    done += static_cast<size_t>(n);
  }
}

void set_mtime(const std::string& path, int64_t ns) {
  struct timespec times[2];
  times[0].tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  times[0].tv_nsec = static_cast<long>(ns % 1'000'000'000);
  times[1] = times[0];
  check(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0, "utimensat " + path);
}

void make_sparse_file(const std::string& path) {
  using namespace every_kind;
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  check(fd >= 0, "open " + path);
  check(ftruncate(fd, static_cast<off_t>(kSparseSize)) == 0, "ftruncate " + path);
  write_at(fd, random_bytes(kSparseExtent, 501), 0, path);
  write_at(fd, random_bytes(kSparseExtent, 502), static_cast<off_t>(kSparseSecondOffset), path);
  check(close(fd) == 0, "close " + path);
}

}  // namespace

std::string random_bytes(size_t size, uint64_t seed) {
  // splitmix64: tiny, fast and the same on every platform, unlike the
  // distributions of <random>.
  uint64_t state = seed;
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<size_t>(8, size - i));
  }
  return out;
}

std::string make_random_file(const std::string& path, size_t size, uint64_t seed) {
  std::string data = random_bytes(size, seed);
  std::error_code ec;  // parent folders are created as needed
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  check(fd >= 0, "open " + path);
  write_at(fd, data, 0, path);
  check(close(fd) == 0, "close " + path);
  return data;
}

void make_every_kind_tree(const std::string& root) {
  using namespace every_kind;
  auto p = [&](const std::string& rel) { return root + "/" + rel; };
  const std::vector<std::string> folders = {"",      "a",     "a/b",   "a/b/c",    "empty",  "files",
                                            "links", "names", "modes", kStickyDir, "special"};
  for (const std::string& f : folders) make_dir(f.empty() ? root : p(f));

  // Entries whose mtime is set, in creation order.
  std::vector<std::string> timed;
  auto file = [&](const std::string& rel, size_t size, uint64_t seed) {
    make_random_file(p(rel), size, seed);
    timed.push_back(rel);
  };
  file("a/b/c/deep.txt", 100, 1);
  file("files/size-0", 0, 2);
  file("files/size-1", 1, 3);
  file("files/size-4095", 4095, 4);
  file("files/size-4096", 4096, 5);
  file("files/size-1MiB+7", (1 << 20) + 7, 6);
  file(kBigFile, 3 << 20, 7);
  make_sparse_file(p(kSparseFile));
  timed.push_back(kSparseFile);

  file(kHardLinks[0], 10000, 8);
  for (const char* other : {kHardLinks[1], kHardLinks[2]}) {
    check(link(p(kHardLinks[0]).c_str(), p(other).c_str()) == 0, std::string("link ") + other);
  }

  file(kNonUtf8Name, 300, 9);
  file("names/with space", 301, 10);
  file("names/new\nline", 302, 11);

  const std::pair<const char*, mode_t> modes[] = {
      {"modes/mode-0600", 0600}, {"modes/mode-0755", 0755}, {"modes/mode-0444", 0444}, {kSetuidFile, 04755}};
  for (const auto& [rel, mode] : modes) {
    file(rel, 50, mode);
    check(chmod(p(rel).c_str(), mode) == 0, std::string("chmod ") + rel);
  }
  check(chmod(p(kStickyDir).c_str(), 01777) == 0, "chmod sticky folder");

  file(kOwnedFile, 64, 12);
  if (geteuid() == 0) check(chown(p(kOwnedFile).c_str(), 1234, 5678) == 0, "chown owned file");

  const std::pair<const char*, std::string> links[] = {{"links/relative", "../files/size-1"},
                                                       {"links/absolute", p("files/size-1")},
                                                       {"links/dangling", "does-not-exist"},
                                                       {"links/to-folder", "../a"}};
  for (const auto& [rel, target] : links) {
    check(symlink(target.c_str(), p(rel).c_str()) == 0, std::string("symlink ") + rel);
    timed.push_back(rel);
  }

  // mknod makes a socket inode without bind(2)'s 108-byte path limit.
  check(mknod(p(kSocket).c_str(), S_IFSOCK | 0644, 0) == 0, "mknod socket");
  check(mkfifo(p(kFifo).c_str(), 0644) == 0, "mkfifo");

  // Distinct seconds and nanoseconds per entry, so a time copied to the
  // wrong entry or rounded to microseconds shows.
  int64_t t = kBaseMtimeNs;
  for (const std::string& rel : timed) {
    set_mtime(p(rel), t);
    t += 1'000'000'007;
  }
  // Folders last and deepest first: creating an entry changes its folder's mtime.
  std::vector<std::string> by_depth = folders;
  std::stable_sort(by_depth.begin(), by_depth.end(), [](const std::string& x, const std::string& y) {
    return std::count(x.begin(), x.end(), '/') + !x.empty() >
           std::count(y.begin(), y.end(), '/') + !y.empty();
  });
  for (const std::string& f : by_depth) {
    set_mtime(f.empty() ? root : p(f), t);
    t += 1'000'000'007;
  }
}

}  // namespace cairn
