#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "location/location.h"
#include "storage/atomic_file.h"

namespace cairn {

using nlohmann::json;

namespace {
constexpr int kConfigVersion = 1;

json to_json(const Location& l) {
  json j = {{"name", l.name},
            {"provider", provider_name(l.provider)},
            {"access_mode", access_mode_name(l.access_mode)},
            {"default", l.is_default},
            {"last_validated", l.last_validated},
            {"phase", l.phase}};
  if (l.provider == Provider::kLocal) {
    j["path"] = l.path;
  } else {
    j.update({{"bucket", l.bucket},
              {"prefix", l.prefix},
              {"endpoint", l.endpoint},
              {"region", l.region},
              {"credentials_file", l.credentials_file},
              {"profile", l.profile},
              {"path_style", l.path_style},
              {"ca_bundle", l.ca_bundle}});
  }
  return j;
}

Result<Location> from_json(const json& j) {
  Location l;
  Result<Provider> provider = parse_provider(j.at("provider").get<std::string>());
  CAIRN_RETURN_IF_ERROR(provider.status());
  Result<AccessMode> mode = parse_access_mode(j.at("access_mode").get<std::string>());
  CAIRN_RETURN_IF_ERROR(mode.status());
  l.name = j.at("name").get<std::string>();
  l.provider = *provider;
  l.access_mode = *mode;
  l.is_default = j.value("default", false);
  l.last_validated = j.value("last_validated", TimeNs{0});
  l.phase = j.value("phase", "");
  l.path = j.value("path", "");
  l.bucket = j.value("bucket", "");
  l.prefix = j.value("prefix", "");
  l.endpoint = j.value("endpoint", "");
  l.region = j.value("region", "");
  l.credentials_file = j.value("credentials_file", "");
  l.profile = j.value("profile", "");
  l.path_style = j.value("path_style", true);
  l.ca_bundle = j.value("ca_bundle", "");
  CAIRN_RETURN_IF_ERROR(validate_location(l));
  return l;
}

// mkdir -p with mode 0700 for every folder it creates.
Status make_private_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return errno_status(errno, "mkdir " + part);
  }
  return Status::ok();
}
}  // namespace

std::string location_to_json(const Location& location) { return to_json(location).dump(2); }

Result<std::string> location_config_dir() {
  if (const char* dir = std::getenv("CAIRN_CONFIG_DIR"); dir && *dir) return std::string(dir);
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.config/cairn";
  return invalid_argument("cannot find the cairn config folder: set CAIRN_CONFIG_DIR or HOME");
}

Result<LocationConfig> load_locations(const std::string& dir) {
  const std::string file = dir + "/locations.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return LocationConfig{};
    return errno_status(errno, "reading " + file);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const Status bad = corruption(file + " is not a valid cairn location config; fix or remove it");
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad;
  LocationConfig config;
  try {
    if (j.at("version").get<int>() != kConfigVersion)
      return unsupported(file + " was written by a newer cairn; upgrade cairn");
    for (const json& item : j.at("locations")) {
      Result<Location> l = from_json(item);
      if (!l.is_ok()) return bad.with_context(l.status().message());
      config.locations.push_back(std::move(*l));
    }
  } catch (const json::exception&) {
    return bad;
  }
  return config;
}

Status save_locations(const std::string& dir, const LocationConfig& config) {
  CAIRN_RETURN_IF_ERROR(make_private_dirs(dir));
  json items = json::array();
  for (const Location& l : config.locations) items.push_back(to_json(l));
  const std::string text = json{{"version", kConfigVersion}, {"locations", items}}.dump(2) + "\n";
  return write_file_atomic(dir + "/locations.json", as_bytes(text), ReplaceMode::kReplace, 0600);
}

}  // namespace cairn
