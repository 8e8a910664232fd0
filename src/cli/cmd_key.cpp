// key add | list | remove
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/clock.h"

namespace cairn {

using nlohmann::json;

int cmd_key_add(const GlobalOptions& g) {
  auto repo = open_repository(g, false, RepoAccess::kAdd);
  Result<std::string> pw = read_password("New password: ", true, "CAIRN_NEW_");
  exit_on_error(pw.status());
  Result<std::vector<KeyListing>> keys = repo->list_keys();
  exit_on_error(keys.status());
  KdfParams kdf;
  for (const auto& k : *keys)
    if (k.current) kdf = k.info.kdf;  // same cost as the key in use
  exit_on_error(repo->add_key(*pw, kdf));
  if (!g.quiet) std::printf("added a new key: the new password now opens the repository too\n");
  return kExitOk;
}

int cmd_key_list(const GlobalOptions& g) {
  auto repo = open_repository(g, false);
  Result<std::vector<KeyListing>> keys = repo->list_keys();
  exit_on_error(keys.status());
  if (json_output(g)) {
    json items = json::array();
    for (const auto& k : *keys)
      items.push_back({{"id", k.info.name},
                       {"current", k.current},
                       {"hostname", k.info.hostname},
                       {"username", k.info.username},
                       {"created", format_rfc3339(k.info.created)}});
    std::printf("%s\n", json{{"items", items}}.dump(2).c_str());
    return kExitOk;
  }
  Table t({"ID", "CURRENT", "USER", "HOST", "CREATED"});
  for (const auto& k : *keys)
    t.add_row({k.info.name.substr(0, 16), k.current ? "*" : "", k.info.username, k.info.hostname,
               format_human_time(k.info.created)});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_key_remove(const GlobalOptions& g, const std::string& id) {
  auto repo = open_repository(g, false, RepoAccess::kDelete);
  Result<std::vector<KeyListing>> keys = repo->list_keys();
  exit_on_error(keys.status());
  std::string match;
  for (const auto& k : *keys) {
    if (k.info.name.compare(0, id.size(), id) != 0) continue;
    if (!match.empty()) {
      std::fprintf(stderr, "error: key id \"%s\" is ambiguous; give more characters.\n", id.c_str());
      return kExitUsage;
    }
    match = k.info.name;
  }
  if (match.empty() || id.empty()) {
    std::fprintf(stderr, "error: no key with id \"%s\"; see 'cairn key list'.\n", id.c_str());
    return kExitFailure;
  }
  exit_on_error(repo->remove_key(match));
  if (!g.quiet) std::printf("removed key %s\n", match.substr(0, 16).c_str());
  return kExitOk;
}

}  // namespace cairn
