// What every command needs: where the repository is, the password, the
// output format, and turning a Status into a message and an exit code.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "repo/repository.h"

namespace cairn {

struct GlobalOptions {
  std::string repo;    // --repo, else CAIRN_REPO
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

std::string repository_path(const GlobalOptions& g);
// The password: CAIRN_PASSWORD_FILE, CAIRN_PASSWORD, or a terminal prompt.
// confirm asks twice (for a new password). prefix selects the variables
// (CAIRN_NEW_PASSWORD_FILE ...) for a second password.
Result<std::string> read_password(const std::string& prompt, bool confirm, const std::string& env_prefix = "CAIRN_");

std::unique_ptr<Repository> open_repository(const GlobalOptions& g, bool load_index = true);

bool json_output(const GlobalOptions& g);
bool stderr_is_terminal();

}  // namespace cairn
