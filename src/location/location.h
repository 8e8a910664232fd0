// Storage locations: named places where repositories live, as Velero's
// BackupStorageLocations, kept in one config file on this machine.
//
// Nouns:
//   Location        a name, a provider (local folder or S3 bucket and
//                   prefix), an access mode, whether it is the default, and
//                   what the last probe found (phase, when).
//   LocationConfig  every location of this machine; stored as JSON in
//                   <config dir>/locations.json, mode 0600, folder 0700,
//                   replaced atomically.
//   AwsCredentials  an access key, its secret and an optional session token,
//                   from an AWS shared-credentials file or the AWS_*
//                   environment variables.
//
// The config file holds no secrets: an S3 location names a credentials file
// and profile, read only when the location is opened. No message made here
// ever includes a secret value, not even a line of a credentials file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/access_mode_backend.h"

namespace cairn {

enum class Provider { kLocal, kS3 };
const char* provider_name(Provider p);  // "local", "s3"
Result<Provider> parse_provider(std::string_view name);

struct Location {
  std::string name;
  Provider provider = Provider::kLocal;
  std::string path;  // local: absolute folder of the repository
  // s3:
  std::string bucket;
  std::string prefix;    // key prefix inside the bucket, without a leading '/'
  std::string endpoint;  // e.g. "http://127.0.0.1:7480"; empty: AWS for the region
  std::string region;
  std::string credentials_file;  // empty: the AWS_* environment variables
  std::string profile;           // empty: "default"
  bool path_style = true;        // endpoint/bucket/key (RGW, MinIO); false: bucket.endpoint/key
  std::string ca_bundle;
  AccessMode access_mode = AccessMode::kReadWrite;
  bool is_default = false;
  // The last probe, by `cairn location get`.
  TimeNs last_validated = 0;  // 0: never
  std::string phase;          // "", "Available", "Unavailable"

  // "bucket/prefix" for s3, the path for local (the BUCKET/PREFIX column).
  std::string where() const;
};

// ok if the name is 1 to 63 letters, digits, '-', '_' or '.', starting
// with a letter or digit, and the fields fit the provider (local: an
// absolute path and no bucket; s3: a bucket and no path).
Status validate_location(const Location& location);

struct LocationConfig {
  std::vector<Location> locations;  // sorted by name

  Location* find(const std::string& name);
  const Location* find(const std::string& name) const;
  const Location* default_location() const;  // nullptr if none is marked
  // Marks name as the only default.
  void set_default(const std::string& name);
};

// $CAIRN_CONFIG_DIR, else $HOME/.config/cairn. kInvalidArgument if neither
// variable is set.
Result<std::string> location_config_dir();
// <dir>/locations.json; an empty config if the file does not exist.
// kCorruption (naming the file) if it is not a config cairn wrote.
Result<LocationConfig> load_locations(const std::string& dir);
// Creates dir (0700) if needed and replaces the file atomically (0600).
Status save_locations(const std::string& dir, const LocationConfig& config);

// JSON of one location, as `location get -o json` prints it.
std::string location_to_json(const Location& location);

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty if none
};

// Parses the text of an AWS shared-credentials file and returns one profile
// ("" means "default"). `file` names the file in messages. Comments ('#',
// ';'), blank lines and whitespace around names and values are ignored.
// kNotFound if the profile is missing; kInvalidArgument for a malformed line
// or a profile without both key fields.
Result<AwsCredentials> parse_aws_credentials(std::string_view text, const std::string& profile,
                                             const std::string& file);
// Reads and parses the file; kNotFound / kPermissionDenied if unreadable.
Result<AwsCredentials> load_aws_credentials(const std::string& file, const std::string& profile);
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; kNotFound if
// the first two are not both set.
Result<AwsCredentials> aws_credentials_from_env();

}  // namespace cairn
