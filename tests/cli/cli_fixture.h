// Runs the real cairn binary against a repository in a temp folder.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace cairn {

// A whole file's bytes ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Writes data to path, creating the folders above it.
inline void write_file(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

class CliTest : public ::testing::Test {
 protected:
  // cairn ARGS with --repo and the password set (unless overridden in env).
  CommandResult cairn(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {cairn_binary(), "--repo", repo(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    env.try_emplace("CAIRN_PASSWORD", "correct horse");
    env.try_emplace("CAIRN_PASSWORD_FILE", "");
    env.try_emplace("CAIRN_REPO", "");
    return run_command(argv, env);
  }

  void init_repository() {
    CommandResult r = cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string repo() const { return tmp_.file("repo"); }

  TempDir tmp_;
};

// The error line: exactly one line, starting with "error: ".
inline bool is_one_plain_sentence(const std::string& err) {
  return err.rfind("error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

}  // namespace cairn
