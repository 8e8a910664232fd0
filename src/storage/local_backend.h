// The local-filesystem backend.
//
// Layout under the repository folder: config, keys/, data/<2 hex>/,
// index/, snapshots/, locks/. Temp files are written beside their final
// name as ".tmp-<random>" and never listed.
#pragma once

#include <memory>
#include <string>

#include "storage/backend.h"

namespace cairn {

// Creates the folder layout (the folder may exist but must hold no "config").
// kAlreadyExists if a repository (a config file) is already there.
Result<std::unique_ptr<Backend>> create_local_backend(const std::string& path);

// Opens an existing layout; kNotFound if path holds no repository (no config file).
Result<std::unique_ptr<Backend>> open_local_backend(const std::string& path);

// The same layout as a cache of another repository's small objects
// (cache_backend.h): created when missing, config or not.
Result<std::unique_ptr<Backend>> open_local_cache_backend(const std::string& path);

}  // namespace cairn
