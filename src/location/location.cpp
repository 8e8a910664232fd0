#include "location/location.h"

#include <algorithm>
#include <cctype>

namespace cairn {

const char* provider_name(Provider p) { return p == Provider::kS3 ? "s3" : "local"; }

Result<Provider> parse_provider(std::string_view name) {
  if (name == "local") return Provider::kLocal;
  if (name == "s3") return Provider::kS3;
  return invalid_argument("provider \"" + std::string(name) + "\" is not one of local, s3");
}

std::string Location::where() const {
  if (provider == Provider::kLocal) return path;
  return prefix.empty() ? bucket : bucket + "/" + prefix;
}

Status validate_location(const Location& l) {
  auto ok_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  };
  if (l.name.empty() || l.name.size() > 63 || !std::isalnum(static_cast<unsigned char>(l.name[0])) ||
      !std::all_of(l.name.begin(), l.name.end(), ok_char))
    return invalid_argument(
        "location name \"" + l.name +
        "\" is not valid: use 1 to 63 letters, digits, '-', '_' and '.', starting with a letter "
        "or digit");
  if (l.provider == Provider::kLocal) {
    if (l.path.empty() || l.path[0] != '/')
      return invalid_argument("location " + l.name + ": a local location needs an absolute --path");
    if (!l.bucket.empty() || !l.prefix.empty() || !l.endpoint.empty() || !l.credentials_file.empty())
      return invalid_argument("location " + l.name +
                              ": --bucket, --prefix, --endpoint and --credentials-file are for s3 locations");
    return Status::ok();
  }
  if (l.bucket.empty()) return invalid_argument("location " + l.name + ": an s3 location needs a --bucket");
  if (!l.path.empty())
    return invalid_argument("location " + l.name + ": --path is for local locations; use --prefix");
  if (!l.prefix.empty() && (l.prefix.front() == '/' || l.prefix.back() == '/'))
    return invalid_argument("location " + l.name + ": --prefix must not start or end with '/'");
  return Status::ok();
}

Location* LocationConfig::find(const std::string& name) {
  for (Location& l : locations)
    if (l.name == name) return &l;
  return nullptr;
}

const Location* LocationConfig::find(const std::string& name) const {
  return const_cast<LocationConfig*>(this)->find(name);
}

const Location* LocationConfig::default_location() const {
  for (const Location& l : locations)
    if (l.is_default) return &l;
  return nullptr;
}

void LocationConfig::set_default(const std::string& name) {
  for (Location& l : locations) l.is_default = l.name == name;
}

}  // namespace cairn
