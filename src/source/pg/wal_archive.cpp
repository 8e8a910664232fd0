// Stanzas and the WAL archive: archive-push and archive-get.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/temp_name.h"
#include "crypto/crypto.h"
#include "repo/archive.h"
#include "repo/blob_writer.h"
#include "source/pg/pg.h"

namespace cairn {
namespace {

// Small files (pg_control, PG_VERSION); a WAL file is mapped (MappedFile).
Result<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_found("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string data;
  int err = ::fstat(fd, &st) == 0 ? 0 : errno;
  // One byte more than the size, so that the end shows without growing the buffer.
  if (err == 0) data.resize(static_cast<size_t>(st.st_size) + 1);
  size_t done = 0;
  while (err == 0) {
    if (done == data.size()) data.resize(2 * done);  // it grew since fstat
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (err != 0) return io_error("reading " + path + " failed: " + std::strerror(err));
  data.resize(done);
  return data;
}

// A WAL file mapped read-only with its pages populated up front: no copy,
// no zeroed buffer, one fault instead of one per page (on the virtual
// machines we measured, faults were a third of a push's CPU). PostgreSQL
// neither changes nor truncates a segment it is archiving; if something
// else truncated it meanwhile, the SIGBUS ends the push non-zero and
// PostgreSQL retries it, with nothing stored.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return not_found("cannot read " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return invalid_argument(path + " is not a regular file");
    }
    auto file = std::unique_ptr<MappedFile>(new MappedFile);
    file->size_ = static_cast<size_t>(st.st_size);
    if (file->size_ > 0) {
      void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return io_error("reading " + path + " failed: " + std::strerror(err));
      }
      file->data_ = static_cast<const char*>(p);
    }
    ::close(fd);
    return file;
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view view() const { return data_ ? std::string_view(data_, size_) : std::string_view(); }

 private:
  MappedFile() = default;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

std::string sha256_hex_of(std::string_view data) {
  const auto digest = sha256(as_bytes(data));
  return to_hex(ByteView(digest.data(), digest.size()));
}

// "000000010000000000000003": a WAL segment (not a history file, a
// .partial or a .backup file).
bool is_segment_name(const std::string& file) {
  return file.size() == 24 && std::all_of(file.begin(), file.end(), [](char c) { return std::isxdigit(c); });
}

// A segment's first page carries the long header (XLogLongPageHeaderData):
// xlp_magic (2 bytes; 0xD1xx in PostgreSQL 10-16), xlp_info with
// XLP_LONG_HEADER, then xlp_sysid at byte 24 and xlp_seg_size at byte 32.
// Anything else (a .partial cut short, not WAL at all) is not judged.
std::optional<uint64_t> segment_system_id(std::string_view data) {
  constexpr uint16_t kLongHeaderFlag = 0x0002;
  if (data.size() < 40) return std::nullopt;
  uint16_t magic = 0, info = 0;
  uint32_t seg_size = 0;
  std::memcpy(&magic, data.data(), 2);
  std::memcpy(&info, data.data() + 2, 2);
  std::memcpy(&seg_size, data.data() + 32, 4);
  if ((magic >> 8) != 0xD1 || !(info & kLongHeaderFlag) || seg_size != data.size()) return std::nullopt;
  uint64_t id = 0;
  std::memcpy(&id, data.data() + 24, 8);
  return id;
}

Status write_file_atomically(const std::string& dest, std::string_view data) {
  CAIRN_ASSIGN_OR_RETURN(std::string suffix, random_temp_suffix());
  const std::string tmp = dest + ".cairn-" + suffix;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status(errno, "creating " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = errno_status(errno, "writing " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status st = errno_status(errno, "writing " + tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    Status st = errno_status(errno, "renaming " + tmp + " to " + dest);
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::ok();
}

PgStanza stanza_from_record(const ArchiveRecord& r) {
  PgStanza s;
  s.name = r.stanza;
  auto get = [&](const char* k) {
    auto it = r.attributes.find(k);
    return it == r.attributes.end() ? std::string() : it->second;
  };
  s.pg_path = get("pg-path");
  s.version = get("version");
  s.system_id = std::strtoull(get("system-id").c_str(), nullptr, 10);
  s.connection.host = get("pg-host");
  s.connection.port = get("pg-port");
  s.connection.user = get("pg-user");
  if (!get("pg-database").empty()) s.connection.database = get("pg-database");
  return s;
}

// Chunks data into writer and computes its SHA-256 (hex, into sha256), on
// two threads: compressing 16 MiB with zstd was the longest step of a push
// once the key came from the cache. The chunks are cut first (the
// boundaries depend only on the bytes), then both threads take them in turn;
// one hashes the whole file first.
Result<std::vector<ContentChunk>> store_chunks(Repository& repo, BlobWriter& writer, ByteView data,
                                               std::string* sha256) {
  std::vector<ContentChunk> chunks;
  std::vector<size_t> offsets;
  for (size_t at = 0; at < data.size();) {
    const size_t n = repo.chunker().find_boundary(data.subspan(at));
    offsets.push_back(at);
    chunks.push_back(ContentChunk{BlobId{}, static_cast<uint32_t>(n)});
    at += n;
  }
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  Status error;
  auto work = [&] {
    for (size_t i = next++; i < chunks.size(); i = next++) {
      const ByteView chunk = data.subspan(offsets[i], chunks[i].size);
      chunks[i].id = repo.hasher().id(chunk);
      Status st = writer.add(BlobType::kData, chunks[i].id, chunk).status();
      if (!st.is_ok()) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (error.is_ok()) error = st;
        return;
      }
    }
  };
  std::thread helper([&] {
    *sha256 = sha256_hex_of(as_string_view(data));
    work();
  });
  work();
  helper.join();
  CAIRN_RETURN_IF_ERROR(error);
  return chunks;
}

}  // namespace

Result<PgStanza> stanza_create(Repository& repo, const PgStanza& request) {
  if (request.name.empty() || request.name.find('/') != std::string::npos)
    return invalid_argument("a stanza name must be non-empty and hold no '/'");
  PgStanza s = request;
  Result<std::string> control = read_whole_file(s.pg_path + "/global/pg_control");
  if (!control.is_ok() || control->size() < 8)
    return invalid_argument(s.pg_path +
                            " is not a PostgreSQL data directory (no readable global/pg_control)");
  std::memcpy(&s.system_id, control->data(), 8);  // ControlFileData.system_identifier comes first
  Result<std::string> version = read_whole_file(s.pg_path + "/PG_VERSION");
  if (!version.is_ok()) return invalid_argument(s.pg_path + " has no PG_VERSION file");
  s.version = *version;
  while (!s.version.empty() && std::isspace(static_cast<unsigned char>(s.version.back())))
    s.version.pop_back();

  ArchiveRecord r;
  r.stanza = s.name;
  r.stored = system_clock().now();
  r.attributes = {{"pg-path", s.pg_path},
                  {"version", s.version},
                  {"system-id", std::to_string(s.system_id)},
                  {"pg-host", s.connection.host},
                  {"pg-port", s.connection.port},
                  {"pg-user", s.connection.user},
                  {"pg-database", s.connection.database}};
  Status saved = save_archive_record(repo, r);
  if (saved.code() == ErrorCode::kAlreadyExists) {
    CAIRN_ASSIGN_OR_RETURN(PgStanza existing, load_stanza(repo, s.name));
    if (existing.system_id != s.system_id)
      return already_exists("stanza " + s.name + " already records another cluster (system identifier " +
                            std::to_string(existing.system_id) + "); choose another stanza name");
    return existing;
  }
  CAIRN_RETURN_IF_ERROR(saved);
  return s;
}

Result<PgStanza> load_stanza(Repository& repo, const std::string& name) {
  Result<ArchiveRecord> r = load_archive_record(repo, name, "");
  if (!r.is_ok()) {
    if (r.status().code() == ErrorCode::kNotFound)
      return not_found("there is no stanza \"" + name + "\"; create it with 'cairn pg stanza create " + name +
                       " --pg-path DATADIR'");
    return r.status();
  }
  return stanza_from_record(*r);
}

Result<PushResult> archive_push(Repository& repo, const std::string& stanza_name, const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(PgStanza stanza, load_stanza(repo, stanza_name));
  const std::string file = path.substr(path.find_last_of('/') + 1);
  if (file.empty() || file == "." || file == "..")
    return invalid_argument("\"" + path + "\" names no WAL file");
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
  const std::string_view data = mapped->view();
  if (is_segment_name(file)) {
    std::optional<uint64_t> id = segment_system_id(data);
    if (id && *id != stanza.system_id)
      return failed_precondition("WAL segment " + file + " belongs to another cluster (system identifier " +
                                 std::to_string(*id) + ", stanza " + stanza_name + " has " +
                                 std::to_string(stanza.system_id) + ")");
  }
  auto compare = [&](const ArchiveRecord& existing) -> Result<PushResult> {
    if (existing.sha256 == sha256_hex_of(data) && existing.size == data.size()) return PushResult{true, 0};
    return already_exists("WAL file " + file + " is already archived for stanza " + stanza_name +
                          " with different contents; refusing to replace it (is another cluster archiving "
                          "into this stanza?)");
  };
  Result<ArchiveRecord> existing = load_archive_record(repo, stanza_name, file);
  if (existing.is_ok()) return compare(*existing);
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();

  ArchiveRecord r;
  r.stanza = stanza_name;
  r.file = file;
  r.size = data.size();
  r.stored = system_clock().now();
  BlobWriter writer(repo);
  CAIRN_ASSIGN_OR_RETURN(r.chunks, store_chunks(repo, writer, as_bytes(data), &r.sha256));
  CAIRN_RETURN_IF_ERROR(writer.flush());
  Status saved = save_archive_record(repo, r);
  if (saved.code() == ErrorCode::kAlreadyExists) {
    // Another push of the same file won the race: compare with what it stored.
    CAIRN_ASSIGN_OR_RETURN(ArchiveRecord winner, load_archive_record(repo, stanza_name, file));
    return compare(winner);
  }
  CAIRN_RETURN_IF_ERROR(saved);
  return PushResult{false, writer.bytes_added()};
}

Status archive_get(Repository& repo, const std::string& stanza, const std::string& file,
                   const std::string& dest) {
  CAIRN_RETURN_IF_ERROR(load_stanza(repo, stanza).status());
  CAIRN_ASSIGN_OR_RETURN(ArchiveRecord r, load_archive_record(repo, stanza, file));
  std::string data;
  data.reserve(r.size);
  for (const ContentChunk& c : r.chunks) {
    CAIRN_ASSIGN_OR_RETURN(Bytes blob, repo.read_blob(c.id));
    data.append(reinterpret_cast<const char*>(blob.data()), blob.size());
  }
  if (data.size() != r.size || sha256_hex_of(data) != r.sha256)
    return corruption("WAL file " + file + " of stanza " + stanza + " does not match its recorded checksum");
  return write_file_atomically(dest, data);
}

Result<std::vector<std::string>> archived_wal(Repository& repo, const std::string& stanza) {
  std::vector<std::string> files;
  CAIRN_RETURN_IF_ERROR(for_each_archive_record(repo, [&](const ArchiveRecord& r) {
    if (r.stanza == stanza && !r.file.empty()) files.push_back(r.file);
  }));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace cairn
