// Restore records as the CLI shows and saves them (cmd_restore_records.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "repo/restore_record.h"

namespace cairn {

// Saves the record; a repository that refuses the write (a ReadOnly
// location) only costs the record, so that is a warning, not a failure.
void record_restore(Repository& repo, const RestoreRecord& record);

// Velero-like JSON of a restore; with items, the outcome of every item.
nlohmann::json restore_record_json(const RestoreRecord& record, bool with_items);

}  // namespace cairn
