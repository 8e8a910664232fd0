// Bytes, and the little-endian / varint codec every binary format uses.
//
// ByteWriter appends; ByteReader consumes with bounds checks and never reads
// past its input: a malformed or truncated record makes it return false,
// which callers turn into a corruption Status. All parsers of bytes that
// come from storage go through ByteReader.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view as_string_view(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v) | 0x80);
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }
  // Zig-zag encoding keeps small negative numbers (times before 1970) short.
  void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Length-prefixed byte string.
  void blob(ByteView b) {
    varint(b.size());
    raw(b);
  }
  void str(std::string_view s) { blob(as_bytes(s)); }

 private:
  void fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes& out_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }

  [[nodiscard]] bool u8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = in_[pos_++];
    return true;
  }
  [[nodiscard]] bool u32(uint32_t& v) {
    uint64_t x;
    if (!fixed(x, 4)) return false;
    v = static_cast<uint32_t>(x);
    return true;
  }
  [[nodiscard]] bool u64(uint64_t& v) { return fixed(v, 8); }
  [[nodiscard]] bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!u8(b)) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  [[nodiscard]] bool svarint(int64_t& v) {
    uint64_t u;
    if (!varint(u)) return false;
    v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  [[nodiscard]] bool raw(size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool blob(ByteView& out) {
    uint64_t n;
    if (!varint(n) || n > remaining()) return false;
    return raw(static_cast<size_t>(n), out);
  }
  [[nodiscard]] bool str(std::string& out) {
    ByteView b;
    if (!blob(b)) return false;
    out.assign(reinterpret_cast<const char*>(b.data()), b.size());
    return true;
  }

 private:
  [[nodiscard]] bool fixed(uint64_t& v, int n) {
    if (remaining() < static_cast<size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += n;
    return true;
  }
  ByteView in_;
  size_t pos_ = 0;
};

std::string to_hex(ByteView b);
// False when s is not an even-length string of hex digits.
[[nodiscard]] bool from_hex(std::string_view s, Bytes& out);

std::string base64_encode(ByteView b);
[[nodiscard]] bool base64_decode(std::string_view s, Bytes& out);

}  // namespace cairn
