// Snapshot manifests (their JSON, after unsealing): decode, re-encode, and
// render them as the CLI does (JSON, times, durations).
#include "common/clock.h"
#include "fuzz_target.h"
#include "fuzz_util.h"
#include "repo/snapshot.h"

using namespace cairn;
using namespace cairn::fuzz;

CAIRN_FUZZ_TARGET(snapshot) {
  Result<SnapshotManifest> m = decode_snapshot(as_text(data, size));
  if (!m.is_ok()) return;
  std::string encoded = encode_snapshot(*m);
  Result<SnapshotManifest> again = decode_snapshot(encoded);
  if (!again.is_ok()) fuzz_fail("a decoded manifest does not decode after re-encoding");
  if (encode_snapshot(*again) != encoded) fuzz_fail("re-encoding changed a manifest");
  snapshot_to_json(*m, true, 2);
  snapshot_to_json(*m, false, -1);
  format_human_time(m->started);
  format_human_time(m->completed);
  format_duration(m->duration_seconds());
  format_size(m->stats.bytes_added);
}
