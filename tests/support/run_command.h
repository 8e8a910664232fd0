// Running the real cairn binary (and other programs) from tests.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cairn {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with the current environment plus env
// (an empty value unsets a variable), stdin from /dev/null.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

// The cairn binary under test: $CAIRN_BINARY (set by CTest), else "cairn".
std::string cairn_binary();

}  // namespace cairn
