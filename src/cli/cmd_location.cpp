// location create | get | set | delete
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/clock.h"
#include "common/log.h"

namespace cairn {

using nlohmann::json;

namespace {
struct ConfigFile {
  std::string dir;
  LocationConfig config;
};

ConfigFile load_or_exit() {
  Result<std::string> dir = location_config_dir();
  exit_on_error(dir.status());
  Result<LocationConfig> config = load_locations(*dir);
  exit_on_error(config.status());
  return {*dir, std::move(*config)};
}

Location& find_or_exit(LocationConfig& config, const std::string& name) {
  Location* l = config.find(name);
  if (!l) exit_on_error(not_found("there is no location named \"" + name + "\"; see 'cairn location get'"));
  return *l;
}

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

// Available when the repository's config object can be read from the
// storage; the reason otherwise.
Status probe(const Location& l) {
  Result<std::shared_ptr<Backend>> backend = open_backend_stack(l, false, false);
  if (!backend.is_ok()) return backend.status();
  Result<ObjectInfo> config = (*backend)->stat({ObjectKind::kConfig, "config"});
  return config.status();
}

// Records the probe results in a freshly read config, so that a `location
// set` made while probing is not undone.
void record_probes(const std::string& dir, const std::vector<std::pair<Location*, std::string>>& probed) {
  if (probed.empty()) return;
  Result<LocationConfig> now = load_locations(dir);
  Status saved = now.status();
  if (now.is_ok()) {
    for (const auto& [l, why] : probed) {
      if (Location* current = now->find(l->name)) {
        current->phase = l->phase;
        current->last_validated = l->last_validated;
      }
    }
    saved = save_locations(dir, *now);
  }
  if (!saved.is_ok()) log_warning("could not record the probe results: " + saved.message());
}
}  // namespace

int cmd_location_create(const GlobalOptions& g, LocationCreateArgs a) {
  Location& l = a.location;
  Result<Provider> provider = parse_provider(a.provider);
  exit_on_error(provider.status());
  Result<AccessMode> mode = parse_access_mode(a.access_mode);
  exit_on_error(mode.status());
  l.provider = *provider;
  l.access_mode = *mode;
  l.path = absolute(l.path);
  l.credentials_file = absolute(l.credentials_file);
  exit_on_error(validate_location(l));
  if (!l.credentials_file.empty())  // a typo is better found now than at the first backup
    exit_on_error(load_aws_credentials(l.credentials_file, l.profile).status());
  ConfigFile file = load_or_exit();
  if (file.config.find(l.name))
    exit_on_error(
        already_exists("a location named \"" + l.name +
                       "\" already exists; change it with 'cairn location set' or delete it first"));
  file.config.locations.push_back(l);
  if (l.is_default) file.config.set_default(l.name);
  std::sort(file.config.locations.begin(), file.config.locations.end(),
            [](const Location& x, const Location& y) { return x.name < y.name; });
  exit_on_error(save_locations(file.dir, file.config));
  if (!g.quiet) std::printf("location \"%s\" created (%s)\n", l.name.c_str(), l.where().c_str());
  return kExitOk;
}

int cmd_location_get(const GlobalOptions& g, const LocationGetArgs& a) {
  ConfigFile file = load_or_exit();
  for (const std::string& n : a.names) find_or_exit(file.config, n);
  std::vector<std::pair<Location*, std::string>> shown;  // location, why it is Unavailable
  for (Location& l : file.config.locations) {
    if (!a.names.empty() && std::find(a.names.begin(), a.names.end(), l.name) == a.names.end()) continue;
    Status st = probe(l);
    l.phase = st.is_ok() ? "Available" : "Unavailable";
    l.last_validated = system_clock().now();
    shown.emplace_back(&l, st.message());
  }
  record_probes(file.dir, shown);
  if (json_output(g)) {
    json items = json::array();
    for (const auto& [l, why] : shown) {
      json item = json::parse(location_to_json(*l));
      if (!why.empty()) item["message"] = why;
      items.push_back(item);
    }
    std::printf("%s\n", json{{"items", items}}.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  Table t({"NAME", "PROVIDER", "BUCKET/PREFIX", "PHASE", "LAST VALIDATED", "ACCESS MODE", "DEFAULT"});
  for (const auto& [l, why] : shown)
    t.add_row({l->name, provider_name(l->provider), l->where(), l->phase,
               format_human_time(l->last_validated), access_mode_name(l->access_mode),
               l->is_default ? "true" : ""});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_location_set(const GlobalOptions& g, const LocationSetArgs& a) {
  if (a.access_mode.empty() && !a.make_default) {
    std::fprintf(stderr, "error: nothing to change: give --access-mode or --default.\n");
    return kExitUsage;
  }
  ConfigFile file = load_or_exit();
  Location& l = find_or_exit(file.config, a.name);
  if (!a.access_mode.empty()) {
    Result<AccessMode> mode = parse_access_mode(a.access_mode);
    exit_on_error(mode.status());
    l.access_mode = *mode;
  }
  if (a.make_default) file.config.set_default(a.name);
  exit_on_error(save_locations(file.dir, file.config));
  if (!g.quiet)
    std::printf("location \"%s\" is %s%s\n", a.name.c_str(), access_mode_name(l.access_mode),
                l.is_default ? " and the default" : "");
  return kExitOk;
}

int cmd_location_delete(const GlobalOptions& g, const std::string& name) {
  ConfigFile file = load_or_exit();
  find_or_exit(file.config, name);
  std::erase_if(file.config.locations, [&](const Location& l) { return l.name == name; });
  exit_on_error(save_locations(file.dir, file.config));
  if (!g.quiet) std::printf("location \"%s\" deleted (the repository in it was not touched)\n", name.c_str());
  return kExitOk;
}

}  // namespace cairn
