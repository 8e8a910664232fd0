// The AWS shared-credentials format, as the AWS CLI and Velero read it:
//
//   # comment
//   [default]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = ...
//   aws_session_token = ...      (optional)
//
// Messages name the file, the profile and line numbers, never a line's text:
// a malformed line may be a secret.
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "location/location.h"

namespace cairn {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Section name from "[name]" or "[profile name]" (the config-file spelling).
std::string section_name(std::string_view line) {
  std::string_view inner = trim(line.substr(1, line.size() - 2));
  if (inner.substr(0, 8) == "profile ") inner = trim(inner.substr(8));
  return std::string(inner);
}

}  // namespace

Result<AwsCredentials> parse_aws_credentials(std::string_view text, const std::string& profile,
                                             const std::string& file) {
  const std::string want = profile.empty() ? "default" : profile;
  const std::string where = "profile [" + want + "] of the credentials file " + file;
  std::map<std::string, std::string> values;
  bool found = false, in_wanted = false, after_key = false;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        return invalid_argument("line " + std::to_string(line_no) + " of the credentials file " + file +
                                " is not a valid [profile] header");
      in_wanted = section_name(line) == want;
      found |= in_wanted;
      after_key = false;
      continue;
    }
    // An indented line after a key continues it (nested settings such as "s3 =").
    if (after_key && (raw[0] == ' ' || raw[0] == '\t')) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || trim(line.substr(0, eq)).empty())
      return invalid_argument("line " + std::to_string(line_no) + " of the credentials file " + file +
                              " is not of the form 'name = value'");
    after_key = true;
    if (in_wanted) values[std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  if (!found) return not_found("the credentials file " + file + " has no profile [" + want + "]");
  AwsCredentials c;
  c.access_key_id = values["aws_access_key_id"];
  c.secret_access_key = values["aws_secret_access_key"];
  c.session_token = values["aws_session_token"];
  if (c.access_key_id.empty()) return invalid_argument(where + " has no aws_access_key_id");
  if (c.secret_access_key.empty()) return invalid_argument(where + " has no aws_secret_access_key");
  return c;
}

Result<AwsCredentials> load_aws_credentials(const std::string& file, const std::string& profile) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return errno_status(errno, "reading the credentials file " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("reading the credentials file " + file + " failed");
  return parse_aws_credentials(ss.str(), profile, file);
}

Result<AwsCredentials> aws_credentials_from_env() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (!id || !*id || !secret || !*secret)
    return not_found(
        "no S3 credentials: give the location a --credentials-file, or set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY");
  AwsCredentials c;
  c.access_key_id = id;
  c.secret_access_key = secret;
  if (const char* token = std::getenv("AWS_SESSION_TOKEN"); token) c.session_token = token;
  return c;
}

}  // namespace cairn
