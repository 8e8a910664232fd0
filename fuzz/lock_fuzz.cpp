// Lock objects (their JSON, after unsealing), and the staleness rule.
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/lock.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(lock) {
  Result<LockInfo> lock = decode_lock("fuzz", as_text(data, size));
  if (!lock.is_ok()) return;
  // pid 1 is never ours to signal: kill(pid, 0) only probes, but skip it.
  if (lock->pid > 1 && lock->pid < (1 << 22)) lock->hostname = "not-this-host";
  lock_is_stale(*lock, 0);
  lock_is_stale(*lock, INT64_MAX);
}
