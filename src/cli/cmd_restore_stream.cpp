// restore create --to-stdout: one file of a backup, byte for byte, on
// standard output (a stream backup's dump into pg_restore). Standard output
// carries nothing else; progress and the summary go to standard error.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "restore/stream_out.h"

namespace cairn {

int cmd_restore_to_stdout(const GlobalOptions& g, const RestoreCreateArgs& a) {
  if (!a.target.empty()) {
    std::fprintf(stderr, "error: give either --target FOLDER or --to-stdout, not both.\n");
    return kExitUsage;
  }
  if (json_output(g)) {
    std::fprintf(stderr, "error: --to-stdout writes the file itself to standard output; drop -o json.\n");
    return kExitUsage;
  }
  if (isatty(STDOUT_FILENO)) {
    std::fprintf(stderr,
                 "error: --to-stdout would write the backup to the terminal; pipe it into a command or "
                 "redirect it to a file.\n");
    return kExitUsage;
  }
  // A reader that stops early (pg_restore failing) is reported as an error
  // rather than killing cairn without a word.
  signal(SIGPIPE, SIG_IGN);
  auto repo = open_repository(g, true);
  Result<SnapshotManifest> snap = repo->load_snapshot(a.from_backup);
  exit_on_error(snap.status());
  std::atomic<uint64_t> bytes{0};
  const double start = monotonic_seconds();
  Result<StreamOutResult> result = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress, [&](double t) {
      const double rate = t > 0 ? bytes / t : 0;
      return format_duration(t) + "  " + format_size(bytes) + " written  " +
             format_size(static_cast<uint64_t>(rate)) + "/s";
    });
    return restore_to_stream(*repo, *snap, a.includes, STDOUT_FILENO, &bytes);
  }();
  if (!result.is_ok()) {
    std::fprintf(stderr, "error: restore of backup \"%s\" to standard output failed: %s.\n",
                 a.from_backup.c_str(), result.status().message().c_str());
    return result.status().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (!g.quiet)
    std::fprintf(stderr, "restore from backup \"%s\" Completed: %s (%s) written to standard output in %s\n",
                 a.from_backup.c_str(), result->path.c_str(), format_size(result->bytes).c_str(),
                 format_duration(monotonic_seconds() - start).c_str());
  return kExitOk;
}

}  // namespace cairn
