// Labels (k=v) on backups and label selectors (k=v,k2=v2), as velero takes them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace cairn {

using Labels = std::map<std::string, std::string>;

// ["k=v", ...] -> {k: v}; InvalidArgument for an item without "=" or key.
Result<Labels> parse_labels(const std::vector<std::string>& items);
// "k=v,k2=v2" -> {k: v, k2: v2}; empty text selects everything.
Result<Labels> parse_selector(const std::string& text);
// True when every pair of the selector is among the labels.
bool labels_match(const Labels& labels, const Labels& selector);

}  // namespace cairn
