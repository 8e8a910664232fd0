// Writes a deterministic tree of many small files, for bench/run.sh:
//
//   gen_files DIR COUNT FANOUT DEPTH MAX_SIZE
//
// DEPTH levels of FANOUT folders each ("d00".."d<FANOUT-1>"), and COUNT files
// spread evenly over the leaf folders ("f000000"...). File i holds
// size(i) bytes of printable text: a quarter of the files are empty, the
// others have a length drawn from [1, MAX_SIZE]; bytes and lengths come from
// a fixed xorshift generator, so every run makes the same tree byte for byte.
//
// Why C++ and not a shell loop: one million files by `touch`/`printf` take
// many minutes; here the cost is the kernel's (openat + write + close, with
// folder descriptors reused), about 10-20 s for a million files on ext4.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint64_t mix(uint64_t x) {  // splitmix64: a fixed, well-spread function of the index
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "gen_files: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

struct Gen {
  uint64_t count, fanout, depth, max_size, leaves, next = 0;
  std::vector<char> buf;

  void write_files(int dir_fd, uint64_t n) {
    char name[32];
    for (uint64_t k = 0; k < n && next < count; ++k, ++next) {
      std::snprintf(name, sizeof name, "f%06llu", static_cast<unsigned long long>(next));
      uint64_t h = mix(next);
      size_t size = (h & 3) == 0 ? 0 : 1 + static_cast<size_t>((h >> 8) % max_size);
      uint64_t s = h | 1;
      for (size_t i = 0; i < size; ++i) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        buf[i] = (i % 64 == 63) ? '\n' : static_cast<char>('a' + (s % 26));
      }
      int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) die(std::string("cannot create ") + name);
      if (size && write(fd, buf.data(), size) != static_cast<ssize_t>(size)) die("cannot write");
      close(fd);
    }
  }

  void level(int dir_fd, uint64_t d, uint64_t leaf_first, uint64_t leaf_span) {
    if (d == depth) {
      // Leaf number leaf_first gets files [leaf_first*count/leaves, (leaf_first+1)*count/leaves).
      uint64_t end = (leaf_first + 1) * count / leaves;
      write_files(dir_fd, end > next ? end - next : 0);
      return;
    }
    char name[32];
    uint64_t span = leaf_span / fanout;
    for (uint64_t i = 0; i < fanout; ++i) {
      std::snprintf(name, sizeof name, "d%02llu", static_cast<unsigned long long>(i));
      if (mkdirat(dir_fd, name, 0755) != 0 && errno != EEXIST) die(std::string("cannot create ") + name);
      int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) die(std::string("cannot open ") + name);
      level(fd, d + 1, leaf_first + i * span, span);
      close(fd);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: gen_files DIR COUNT FANOUT DEPTH MAX_SIZE\n");
    return 2;
  }
  Gen g;
  g.count = std::strtoull(argv[2], nullptr, 10);
  g.fanout = std::strtoull(argv[3], nullptr, 10);
  g.depth = std::strtoull(argv[4], nullptr, 10);
  g.max_size = std::strtoull(argv[5], nullptr, 10);
  if (g.fanout < 1 || g.fanout > 99 || g.max_size < 1) {
    std::fprintf(stderr, "gen_files: FANOUT must be 1..99 and MAX_SIZE at least 1\n");
    return 2;
  }
  g.leaves = 1;
  for (uint64_t i = 0; i < g.depth; ++i) g.leaves *= g.fanout;
  g.buf.resize(g.max_size);
  if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) die(std::string("cannot create ") + argv[1]);
  int root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) die(std::string("cannot open ") + argv[1]);
  g.level(root, 0, 0, g.leaves);
  close(root);
  return 0;
}
