#include "restore/stream_out.h"

#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>
#include <future>

namespace cairn {

namespace {
// Chunks fetched ahead of the one being written: enough to overlap a
// remote store's round trips and the decryption of the next chunks with
// writing, a few MiB of memory at most.
constexpr size_t kFetchAhead = 6;
constexpr size_t kNamedInError = 3;

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || prefix == "/" ||
         (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
          path[prefix.size()] == '/');
}

// Walks the tree and collects the selected files; stops looking once it
// has found more than enough to say there are several.
class FileFinder {
 public:
  FileFinder(Repository& repo, std::vector<std::string> includes)
      : repo_(repo), includes_(std::move(includes)) {}

  Status walk(const BlobId& tree_id, const std::string& dir) {
    CAIRN_ASSIGN_OR_RETURN(Tree tree, repo_.read_tree(tree_id));
    for (Node& node : tree.nodes) {
      if (found_.size() > kNamedInError) return Status::ok();
      const std::string path = child_path(dir, node.name);
      bool selected = includes_.empty(), ancestor = false;
      for (const std::string& inc : includes_) {
        if (under(path, inc)) selected = true;
        if (under(inc, path)) ancestor = true;
      }
      if (!selected && !ancestor) continue;
      if (node.type == NodeType::kDirectory) {
        CAIRN_RETURN_IF_ERROR(walk(node.subtree, path));
      } else if (node.type == NodeType::kFile && selected) {
        found_.emplace_back(path, std::move(node));
      }
    }
    return Status::ok();
  }

  std::vector<std::pair<std::string, Node>>& found() { return found_; }

 private:
  Repository& repo_;
  std::vector<std::string> includes_;
  std::vector<std::pair<std::string, Node>> found_;
};

Status write_all(int fd, ByteView data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE)
      return failed_precondition("the reader of standard output closed it after " +
                                 std::to_string(offset + done) + " bytes, before the end of the file");
    if (w < 0) return errno_status(errno, "cannot write the restored stream");
    done += static_cast<size_t>(w);
  }
  return Status::ok();
}
}  // namespace

Result<std::pair<std::string, Node>> select_single_file(Repository& repo, const SnapshotManifest& snapshot,
                                                        const std::vector<std::string>& includes_in) {
  std::vector<std::string> includes;
  for (const std::string& given : includes_in) {
    std::string inc = std::filesystem::path(given).lexically_normal().string();
    while (inc.size() > 1 && inc.back() == '/') inc.pop_back();
    if (inc.empty() || inc[0] != '/') inc = "/" + inc;
    includes.push_back(inc);
  }
  FileFinder finder(repo, includes);
  CAIRN_RETURN_IF_ERROR(finder.walk(snapshot.tree, "/").with_context("reading the backup's tree"));
  auto& found = finder.found();
  if (found.empty())
    return not_found(includes.empty()
                         ? "backup \"" + snapshot.name + "\" holds no file to write"
                         : "no file in backup \"" + snapshot.name + "\" matches the --include paths given");
  if (found.size() > 1) {
    std::string names;
    for (size_t i = 0; i < found.size() && i < kNamedInError; ++i)
      names += (names.empty() ? "" : ", ") + found[i].first;
    return invalid_argument("backup \"" + snapshot.name + "\" holds several files (" + names +
                            (found.size() > kNamedInError ? ", ..." : "") +
                            ") and --to-stdout writes one; choose it with --include PATH");
  }
  return std::move(found.front());
}

Result<StreamOutResult> restore_to_stream(Repository& repo, const SnapshotManifest& snapshot,
                                          const std::vector<std::string>& includes, int fd,
                                          std::atomic<uint64_t>* bytes_done) {
  CAIRN_ASSIGN_OR_RETURN(auto file, select_single_file(repo, snapshot, includes));
  const std::string& path = file.first;
  const std::vector<ContentChunk>& chunks = file.second.content;
  std::deque<std::future<Result<Bytes>>> ahead;
  size_t next = 0;
  uint64_t written = 0;
  auto fetch_more = [&] {
    while (next < chunks.size() && ahead.size() < kFetchAhead) {
      const BlobId id = chunks[next++].id;
      ahead.push_back(std::async(std::launch::async, [&repo, id] { return repo.read_blob(id); }));
    }
  };
  for (size_t i = 0; i < chunks.size(); ++i) {
    fetch_more();
    Result<Bytes> data = ahead.front().get();
    ahead.pop_front();
    if (!data.is_ok())
      return data.status().with_context("cannot restore " + path + " at byte " + std::to_string(written));
    if (data->size() != chunks[i].size)
      return corruption("a chunk of " + path + " has " + std::to_string(data->size()) + " bytes, not the " +
                        std::to_string(chunks[i].size) + " its tree records");
    CAIRN_RETURN_IF_ERROR(write_all(fd, *data, written));
    written += data->size();
    if (bytes_done) *bytes_done += data->size();
  }
  if (written != file.second.size)
    return corruption("the chunks of " + path + " add up to " + std::to_string(written) + " bytes, not its " +
                      std::to_string(file.second.size));
  return StreamOutResult{path, written};
}

}  // namespace cairn
