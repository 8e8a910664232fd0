#include "restore/fs_util.h"

#include <limits.h>
#include <stdio.h>

#include <cerrno>

#include "common/bytes.h"
#include "common/temp_name.h"

namespace cairn {

Result<std::string> temp_path_beside(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  CAIRN_ASSIGN_OR_RETURN(std::string suffix, random_temp_suffix());
  const std::string tag = ".cairn-tmp-" + suffix;
  const size_t room = NAME_MAX - 1 - tag.size();  // 1 for the leading '.'
  if (name.size() > room) name.resize(room);
  return parent + "." + name + tag;
}

Status rename_into_place(const std::string& temp_path, const std::string& final_path) {
  if (rename(temp_path.c_str(), final_path.c_str()) == 0) return Status::ok();
  int err = errno;
  if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
    return Status(ErrorCode::kAlreadyExists,
                  "cannot restore " + final_path + ": a folder with that name is in the way");
  }
  return errno_status(err, "renaming into place " + final_path);
}

void times_from_mtime(int64_t mtime_ns, struct timespec times[2]) {
  int64_t sec = mtime_ns / 1'000'000'000;
  int64_t nsec = mtime_ns % 1'000'000'000;
  if (nsec < 0) {
    nsec += 1'000'000'000;
    sec -= 1;
  }
  times[0].tv_sec = static_cast<time_t>(sec);
  times[0].tv_nsec = static_cast<long>(nsec);
  times[1] = times[0];
}

}  // namespace cairn
