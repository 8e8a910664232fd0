#include "storage/s3/xml.h"

#include <cstdint>

namespace cairn::s3 {
namespace {

struct Element {
  size_t inner_begin = 0;
  size_t inner_end = 0;
  size_t after = 0;  // just past the closing tag
};

// Finds the next element named tag at or after pos. An opening tag is
// "<tag>", "<tag attr...>" or "<tag/>"; "<TagX>" does not match "<Tag>".
std::optional<Element> find_element(std::string_view xml, std::string_view tag, size_t pos) {
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const size_t name_end = pos + open.size();
    if (name_end >= xml.size()) return std::nullopt;
    const char next = xml[name_end];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\r' && next != '\n') {
      pos = name_end;
      continue;
    }
    const size_t gt = xml.find('>', name_end);
    if (gt == std::string_view::npos) return std::nullopt;
    if (xml[gt - 1] == '/') return Element{gt + 1, gt + 1, gt + 1};
    const size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return Element{gt + 1, end, end + close.size()};
  }
  return std::nullopt;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one entity starting at s[0] == '&'; returns its length, 0 if unknown.
size_t decode_entity(std::string_view s, std::string& out) {
  const size_t semi = s.find(';');
  if (semi == std::string_view::npos || semi > 12) return 0;
  const std::string_view name = s.substr(1, semi - 1);
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [n, c] : kNamed) {
    if (name == n) {
      out += c;
      return semi + 1;
    }
  }
  if (name.size() < 2 || name[0] != '#') return 0;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  uint32_t cp = 0;
  const std::string_view digits = name.substr(hex ? 2 : 1);
  if (digits.empty()) return 0;
  for (char c : digits) {
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (hex && c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (hex && c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return 0;
    }
    cp = cp * (hex ? 16 : 10) + d;
    if (cp > 0x10ffff) return 0;
  }
  append_utf8(out, cp);
  return semi + 1;
}

std::string decode_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] == '&') {
      const size_t n = decode_entity(raw.substr(i), out);
      if (n > 0) {
        i += n;
        continue;
      }
    }
    out += raw[i++];
  }
  return out;
}

}  // namespace

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  const std::optional<Element> e = find_element(xml, tag, 0);
  if (!e) return std::nullopt;
  return decode_text(xml.substr(e->inner_begin, e->inner_end - e->inner_begin));
}

void xml_for_each(std::string_view xml, std::string_view tag,
                  const std::function<void(std::string_view)>& fn) {
  size_t pos = 0;
  while (std::optional<Element> e = find_element(xml, tag, pos)) {
    fn(xml.substr(e->inner_begin, e->inner_end - e->inner_begin));
    pos = e->after;
  }
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace cairn::s3
