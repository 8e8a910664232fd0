// Just enough XML for S3 answers. Internal to storage/s3.
//
// S3 answers are flat, machine-written documents (no comments, no CDATA, no
// attributes we need). These helpers find elements by tag name and decode
// the five predefined entities and numeric character references. Malformed
// input never reads out of bounds: it yields "not found" or empty text.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::s3 {

// The decoded text of the first <tag>...</tag> at or after the start of xml
// (an empty element <tag/> has empty text), or nullopt.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);

// Calls fn with the raw inner XML of every <tag>...</tag>, in order.
void xml_for_each(std::string_view xml, std::string_view tag,
                  const std::function<void(std::string_view)>& fn);

// Escapes & < > " ' for text content.
std::string xml_escape(std::string_view text);

}  // namespace cairn::s3
