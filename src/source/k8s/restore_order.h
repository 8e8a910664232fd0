// The order in which a Kubernetes restore creates resource types: Velero's
// restore priorities (docs/format.md, "Kubernetes restores").
//
// A priority list names group-resources ("customresourcedefinitions",
// "replicasets.apps"); a name without a group matches that plural in any
// group. A "-" element splits it into a high part, restored first in list
// order, and a low part, restored last; everything else goes in between,
// alphabetically. An override replaces the whole default, as in Velero.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace cairn {

struct RestorePriorities {
  std::vector<std::string> high;
  std::vector<std::string> low;
};

// Velero's defaultRestorePriorities (pkg/cmd/server/config/config.go).
RestorePriorities default_restore_priorities();

// "a,b,-,c" split by the CLI: InvalidArgument for an empty name or a second "-".
Result<RestorePriorities> parse_restore_priorities(const std::vector<std::string>& list);

// `group_resources` (any order, no duplicates) in restore order.
std::vector<std::string> order_for_restore(std::vector<std::string> group_resources,
                                           const RestorePriorities& priorities);

}  // namespace cairn
