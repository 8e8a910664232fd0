// The cairn command line: verbs in Velero's style (`backup create`,
// `restore create`, `repo check`), tables by default and JSON with -o json,
// one plain sentence per error, and exit codes scripts can trust.
#pragma once

namespace cairn {

// Exit codes (also listed by `cairn --help`).
enum ExitCode {
  kExitOk = 0,
  kExitFailure = 1,       // the operation failed
  kExitUsage = 2,         // wrong flags or arguments
  kExitPartial = 3,       // finished, but some files were not backed up or restored
  kExitNoRepository = 10, // no repository at the given location
  kExitLocked = 11,       // another process holds a conflicting lock
  kExitWrongPassword = 12,
};

int run_cli(int argc, char** argv);

}  // namespace cairn
