// backup create, for a byte stream: a command's output (--stdin-from) or
// cairn's own standard input (--stdin).
#include <malloc.h>
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/labels.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "repo/lock.h"
#include "schedule/cron.h"
#include "source/fs/stream_backup.h"

namespace cairn {

int cmd_backup_create_stream(const GlobalOptions& g, const BackupCreateArgs& a) {
  if (a.read_stdin && !a.stdin_from.empty()) {
    std::fprintf(stderr, "error: give either --stdin or --stdin-from CMD, not both.\n");
    return kExitUsage;
  }
  if (a.read_stdin && isatty(STDIN_FILENO)) {
    std::fprintf(stderr,
                 "error: --stdin reads standard input, which is a terminal; pipe the data in "
                 "(pg_dump ... | cairn backup create NAME --stdin) or use --stdin-from CMD.\n");
    return kExitUsage;
  }
  StreamBackupOptions options;
  options.name = a.name;
  options.command = a.stdin_from;
  options.input_fd = STDIN_FILENO;
  if (!a.stdin_filename.empty()) options.filename = a.stdin_filename;
  Status name_ok = check_stream_filename(options.filename);
  if (!name_ok.is_ok()) {
    std::fprintf(stderr, "error: %s.\n", name_ok.message().c_str());
    return kExitUsage;
  }
  if (!a.ttl.empty()) {
    Result<int64_t> ttl = parse_duration(a.ttl);
    if (!ttl.is_ok()) {
      std::fprintf(stderr, "error: --ttl %s.\n", ttl.status().message().c_str());
      return kExitUsage;
    }
    options.ttl_seconds = *ttl;
  }
  Result<Labels> labels = parse_labels(a.labels);
  exit_on_error(labels.status());
  options.labels = *labels;

  // Lock, then load the index (the prune protocol, docs/format.md).
  auto repo = open_repository(g, false, RepoAccess::kAdd);
  Result<std::unique_ptr<RepositoryLock>> lock = RepositoryLock::acquire(*repo, false, "backup", a.name);
  exit_on_error(lock.status());
  exit_on_error(repo->load_index());

  mallopt(M_MMAP_THRESHOLD, 256 * 1024);  // freed chunk and pack buffers go back (cmd_backup.cpp)
  StreamProgress progress;
  const double start = monotonic_seconds();
  Result<SnapshotManifest> result = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress, [&](double t) {
      const double rate = t > 0 ? progress.bytes_read / t : 0;
      return format_duration(t) + "  " + format_size(progress.bytes_read) + " read  " +
             format_size(static_cast<uint64_t>(rate)) + "/s  added " + format_size(progress.bytes_added);
    });
    return run_stream_backup(*repo, options, &progress);
  }();
  if (!result.is_ok()) {
    return report_error(result.status().with_context("backup \"" + a.name + "\" failed and was not saved"));
  }
  const SnapshotManifest& m = *result;
  std::printf("backup \"%s\" %s: %s stream stored as %s, %s added, in %s\n", m.name.c_str(),
              backup_status_name(m.status), format_size(m.stats.bytes).c_str(), m.paths.front().c_str(),
              format_size(m.stats.bytes_added).c_str(), format_duration(monotonic_seconds() - start).c_str());
  return kExitOk;
}

}  // namespace cairn
