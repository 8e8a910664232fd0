#include "common/status.h"

#include <cstring>

namespace cairn {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kIoError: return "I/O error";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kNoSpace: return "no space left";
    case ErrorCode::kWrongPassword: return "wrong password";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
  }
  return "unknown";
}

Status errno_status(int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return Status(ErrorCode::kNotFound, msg);
    case EEXIST: return Status(ErrorCode::kAlreadyExists, msg);
    case EACCES:
    case EPERM:
    case EROFS: return Status(ErrorCode::kPermissionDenied, msg);
    case ENOSPC:
    case EDQUOT: return Status(ErrorCode::kNoSpace, msg);
    case EINVAL: return Status(ErrorCode::kInvalidArgument, msg);
    default: return Status(ErrorCode::kIoError, msg);
  }
}

}  // namespace cairn
