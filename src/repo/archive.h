// Archive records: files kept by name rather than inside a backup's tree.
//
// PostgreSQL pushes its WAL one segment at a time (archive_command) and
// asks for them back by name (restore_command); a stanza is the record of
// one database cluster. Each is an ArchiveRecord, sealed, stored as
// archive/<keyed hash of "archive:" stanza "/" file> with put-if-absent, so
// a name is written once and never replaced. The file's bytes are blobs
// (chunked, deduplicated, in packs like any file); the record lists them.
// Write order as for backups: packs and index first, the record last.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "repo/repository.h"
#include "repo/tree.h"

namespace cairn {

struct ArchiveRecord {
  std::string stanza;
  std::string file;  // "" for the stanza's own record; else a WAL file name
  uint64_t size = 0;
  std::string sha256;  // hex, of the file's bytes: tells a re-push from a conflict
  std::vector<ContentChunk> chunks;
  TimeNs stored = 0;
  std::map<std::string, std::string> attributes;  // stanza facts (system id, version, path)
};

std::string archive_object_name(const Repository& repo, const std::string& stanza, const std::string& file);

// kAlreadyExists when a record of that stanza and file exists.
Status save_archive_record(Repository& repo, const ArchiveRecord& record);
// kNotFound when there is none.
Result<ArchiveRecord> load_archive_record(Repository& repo, const std::string& stanza,
                                          const std::string& file);
// One record by its object name (as listed); kNotFound when it is gone.
Result<ArchiveRecord> read_archive_object(Repository& repo, const std::string& object_name);
// Every record (of every stanza); damaged ones are counted, not returned.
Status for_each_archive_record(Repository& repo, const std::function<void(const ArchiveRecord&)>& fn,
                               size_t* damaged = nullptr);
Status delete_archive_record(Repository& repo, const std::string& stanza, const std::string& file);

// The blobs every archive record references: prune and check treat them
// as live, like the blobs of backups.
Status collect_archive_blobs(Repository& repo, const std::function<void(const BlobId&)>& fn);

}  // namespace cairn
