// Unique suffixes for temp files published later by rename or link.
#pragma once

#include <string>

#include "common/status.h"

namespace cairn {

// 16 hex digits from getrandom(2). Uniqueness, not secrecy: O_EXCL on the
// temp file catches the (negligible) rest. Lives in common because storage
// sits below crypto in the dependency stack.
Result<std::string> random_temp_suffix();

}  // namespace cairn
