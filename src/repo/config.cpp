#include "repo/config.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "repo/json_number.h"

namespace cairn {

using nlohmann::json;

namespace {
constexpr char kKeyAssociatedData[] = "cairn/v1/key";

bool is_power_of_two(uint32_t v) { return v && !(v & (v - 1)); }

// Key files are read before anything in them is authenticated, so their
// numbers are taken only as unsigned 32-bit integers: get<uint32_t>() would
// round 1.5 to 1, wrap 2^32 + 1 to 1 and convert 1e300 with undefined
// behaviour. Throws json::exception for a missing field, like at().
bool read_u32(const json& object, const char* field, uint32_t& out) {
  const json& v = object.at(field);
  if (!v.is_number_unsigned() || v.get<uint64_t>() > UINT32_MAX) return false;
  out = static_cast<uint32_t>(v.get<uint64_t>());
  return true;
}

Status validate_config(const RepoConfig& c) {
  const auto& k = c.chunker;
  if (k.min_size < 64 || !is_power_of_two(k.avg_size) || k.min_size >= k.avg_size ||
      k.avg_size >= k.max_size || k.max_size > 64u * 1024 * 1024)
    return invalid_argument("the repository config has invalid chunker sizes");
  if (c.compression_level < 0 || c.compression_level > 22)
    return invalid_argument("the repository config has an invalid compression level");
  if (c.pack_size < 1024 * 1024 || c.pack_size > 1024u * 1024 * 1024)
    return invalid_argument("the repository config has an invalid pack size");
  Bytes id;
  if (c.id.size() != 64 || !from_hex(c.id, id))
    return invalid_argument("the repository config has an invalid id");
  return Status::ok();
}
}  // namespace

std::string encode_config(const RepoConfig& c) {
  json j = {
      {"version", c.version},
      {"id", c.id},
      {"chunker",
       {{"algorithm", "fastcdc-gear"},
        {"min_size", c.chunker.min_size},
        {"avg_size", c.chunker.avg_size},
        {"max_size", c.chunker.max_size},
        {"seed", c.chunker.seed}}},
      {"compression", {{"algorithm", "zstd"}, {"level", c.compression_level}}},
      {"pack_size", c.pack_size},
      {"created", c.created},
  };
  return j.dump();
}

Result<RepoConfig> decode_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corruption("the repository config is not valid JSON");
  RepoConfig c;
  try {
    c.version = json_integer<int>(j.at("version"));
    if (c.version < 1)
      return corruption("the repository config has format version " + std::to_string(c.version) +
                        ", which no cairn writes");
    if (c.version > kRepositoryVersion)
      return unsupported("the repository has format version " + std::to_string(c.version) +
                         "; this cairn reads version 1: upgrade cairn");
    c.id = j.at("id").get<std::string>();
    const json& k = j.at("chunker");
    if (k.at("algorithm").get<std::string>() != "fastcdc-gear")
      return unsupported("the repository uses an unknown chunker");
    c.chunker.min_size = json_integer<uint32_t>(k.at("min_size"));
    c.chunker.avg_size = json_integer<uint32_t>(k.at("avg_size"));
    c.chunker.max_size = json_integer<uint32_t>(k.at("max_size"));
    c.chunker.seed = json_integer<uint64_t>(k.at("seed"));
    const json& z = j.at("compression");
    if (z.at("algorithm").get<std::string>() != "zstd")
      return unsupported("the repository uses an unknown compression");
    c.compression_level = json_integer<int>(z.at("level"));
    c.pack_size = json_integer<uint32_t>(j.at("pack_size"));
    c.created = json_integer<int64_t>(j.at("created"));
  } catch (const json::exception&) {
    return corruption("the repository config is missing fields or has wrong types");
  }
  CAIRN_RETURN_IF_ERROR(validate_config(c));
  return c;
}

std::string make_key_file(const MasterKey& master, std::string_view password, const KdfParams& kdf,
                          const KeyFileInfo& info) {
  Bytes salt = random_bytes(32);
  Result<Key> kek = derive_key(password, salt, kdf);
  assert(kek.is_ok());
  Bytes secret(master.encryption.begin(), master.encryption.end());
  secret.insert(secret.end(), master.id.begin(), master.id.end());
  Sealer sealer(*kek);
  Bytes wrapped = sealer.seal(secret, as_bytes(kKeyAssociatedData));
  std::fill(secret.begin(), secret.end(), 0);
  json j = {
      {"version", 1},
      {"kdf",
       {{"algorithm", "argon2id"},
        {"memory_kib", kdf.memory_kib},
        {"iterations", kdf.iterations},
        {"parallelism", kdf.parallelism},
        {"salt", base64_encode(salt)}}},
      {"cipher", "aes-256-gcm"},
      {"data", base64_encode(wrapped)},
      {"hostname", info.hostname},
      {"username", info.username},
      {"created", info.created},
  };
  return j.dump(2) + "\n";
}

Result<KeyFileInfo> read_key_file_info(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corruption("the key file is not valid JSON");
  KeyFileInfo info;
  try {
    if (json_integer<int>(j.at("version")) != 1) return unsupported("the key file has an unknown version");
    const json& k = j.at("kdf");
    if (k.at("algorithm").get<std::string>() != "argon2id")
      return unsupported("the key file uses an unknown KDF");
    if (!read_u32(k, "memory_kib", info.kdf.memory_kib) || !read_u32(k, "iterations", info.kdf.iterations) ||
        !read_u32(k, "parallelism", info.kdf.parallelism))
      return corruption("the key file has KDF parameters that are not 32-bit unsigned integers");
    info.hostname = j.value("hostname", "");
    info.username = j.value("username", "");
    info.created = j.contains("created") ? json_integer<int64_t>(j.at("created")) : 0;
  } catch (const json::exception&) {
    return corruption("the key file is missing fields or has wrong types");
  }
  return info;
}

Result<MasterKey> open_key_file(std::string_view text, std::string_view password) {
  CAIRN_ASSIGN_OR_RETURN(KeyFileInfo info, read_key_file_info(text));
  json j = json::parse(text, nullptr, false);
  Bytes salt, wrapped;
  try {
    if (j.at("cipher").get<std::string>() != "aes-256-gcm")
      return unsupported("the key file uses an unknown cipher");
    if (!base64_decode(j.at("kdf").at("salt").get<std::string>(), salt) || salt.size() < 16 ||
        !base64_decode(j.at("data").get<std::string>(), wrapped))
      return corruption("the key file has malformed base64 fields");
  } catch (const json::exception&) {
    return corruption("the key file is missing fields or has wrong types");
  }
  Result<Key> kek = derive_key(password, salt, info.kdf);
  if (!kek.is_ok()) return corruption("the key file has invalid KDF parameters");
  Sealer sealer(*kek);
  Result<Bytes> secret = sealer.open(wrapped, as_bytes(kKeyAssociatedData));
  if (!secret.is_ok()) return Status(ErrorCode::kWrongPassword, "the password does not open this key file");
  if (secret->size() != 2 * kKeySize) return corruption("the key file holds a key of the wrong size");
  MasterKey master;
  std::copy(secret->begin(), secret->begin() + kKeySize, master.encryption.begin());
  std::copy(secret->begin() + kKeySize, secret->end(), master.id.begin());
  std::fill(secret->begin(), secret->end(), 0);
  return master;
}

}  // namespace cairn
