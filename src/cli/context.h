// What every command needs: where the repository is, the password, the
// output format, and turning a Status into a message and an exit code.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "location/location.h"
#include "repo/repository.h"
#include "storage/backend.h"

namespace cairn {

struct GlobalOptions {
  std::string repo;              // --repo, else CAIRN_REPO
  std::string location;          // --location NAME
  std::string output = "table";  // -o table|json
  bool quiet = false;
  bool verbose = false;
  bool no_progress = false;
};

// Thrown only inside src/cli, caught in run_cli: ends the command with
// this exit code after the message was printed.
struct CommandExit {
  int code;
};

// Prints "error: <message>" and returns the exit code for the status.
int report_error(const Status& status);
// Reports and throws CommandExit when status is not ok.
void exit_on_error(const Status& status);

// Where a command's repository is: --repo PATH|s3:URL, --location NAME, CAIRN_REPO,
// or the default location, in that order (--repo and --location together
// are a usage error). A --repo or CAIRN_REPO value becomes an unnamed
// ReadWrite location (local, or S3 for an s3: URL).
// Prints the error and throws CommandExit when there is none.
struct RepositoryTarget {
  Location location;
  bool named = false;  // from the location config, not a path
  std::string url;     // --repo s3:..., as given
  // "/srv/repo" or "location prod (/srv/repo)", for messages.
  std::string describe() const;
};
RepositoryTarget resolve_target(const GlobalOptions& g);

// The one place that builds the backend stack of a repository:
//   base (local folder or S3) -> CountingBackend -> AccessModeBackend
//   -> ConcurrencyLimitBackend (S3 only) -> RetryingBackend.
// S3 credentials come from the location's credentials file, else AWS_*.
// create: make a new local layout (repo init) instead of opening one.
// with_retries false: fail fast (the probe of `location get`).
Result<std::shared_ptr<Backend>> open_backend_stack(const Location& location, bool create,
                                                    bool with_retries = true);
// At debug level (-v): the requests the last stack sent to its storage.
void log_storage_requests();

// What a command will do to the repository; refused by the location's
// access mode (with the sentence that explains it) before anything is sent.
enum class RepoAccess {
  kRead,    // list, describe, check, restore
  kAdd,     // backup create, key add: puts only
  kDelete,  // backup delete, key remove, prune
};
// The password: CAIRN_PASSWORD_FILE, CAIRN_PASSWORD, or a terminal prompt.
// confirm asks twice (for a new password). prefix selects the variables
// (CAIRN_NEW_PASSWORD_FILE ...) for a second password.
Result<std::string> read_password(const std::string& prompt, bool confirm,
                                  const std::string& env_prefix = "CAIRN_");

// use_key_cache: open through the key cache (cli/key_cache.h); for the
// commands PostgreSQL runs once per WAL file, and the pg commands that
// precede them (pg backup, pg restore).
std::unique_ptr<Repository> open_repository(const GlobalOptions& g, bool load_index = true,
                                            RepoAccess access = RepoAccess::kRead,
                                            bool use_key_cache = false);

bool json_output(const GlobalOptions& g);
bool stderr_is_terminal();

}  // namespace cairn
