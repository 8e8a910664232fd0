// A CLI test with its own location config folder (CAIRN_CONFIG_DIR), an
// initialised repository at repo() and a small source tree at src_.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "support/tree_compare.h"

namespace cairn {

class LocationCliTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    src_ = tmp_.file("src");
    make_random_file(src_ + "/a/one", 3000, 1);
    make_random_file(src_ + "/two", 70000, 2);
  }

  // cairn ARGS without --repo: the repository comes from the locations.
  CommandResult at(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {cairn_binary(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    env.try_emplace("CAIRN_PASSWORD", "correct horse");
    env.try_emplace("CAIRN_PASSWORD_FILE", "");
    env.try_emplace("CAIRN_REPO", "");
    env.try_emplace("CAIRN_CONFIG_DIR", config_dir());
    return run_command(argv, env);
  }

  std::string config_dir() const { return tmp_.file("config/cairn"); }

  std::string src_;
};

}  // namespace cairn
