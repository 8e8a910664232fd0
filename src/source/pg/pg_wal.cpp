#include "source/pg/pg_wal.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "source/pg/pg.h"

namespace cairn {
namespace {

bool all_hex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<uint64_t> segment_position(const std::string& name) {
  if (name.size() != 24 || !all_hex(name)) return std::nullopt;
  return std::stoull(name.substr(8, 8), nullptr, 16) * 256 + std::stoull(name.substr(16, 8), nullptr, 16);
}

std::string segment_name(const std::string& timeline, uint64_t position) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%08llX%08llX", timeline.c_str(),
                static_cast<unsigned long long>(position / 256),
                static_cast<unsigned long long>(position % 256));
  return buf;
}

std::vector<std::string> segment_range(const std::string& first, const std::string& last) {
  std::optional<uint64_t> a = segment_position(first), b = segment_position(last);
  if (!a || !b || first.substr(0, 8) != last.substr(0, 8)) return {first, last};
  std::vector<std::string> out;
  for (uint64_t p = *a; p <= *b && out.size() < 100000; ++p)
    out.push_back(segment_name(first.substr(0, 8), p));
  return out;
}

std::optional<uint64_t> lsn_segment_position(const std::string& lsn) {
  const size_t slash = lsn.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= lsn.size()) return std::nullopt;
  const std::string hi = lsn.substr(0, slash), lo = lsn.substr(slash + 1);
  if (!all_hex(hi) || !all_hex(lo) || hi.size() > 8 || lo.size() > 8) return std::nullopt;
  const uint64_t value = (std::stoull(hi, nullptr, 16) << 32) | std::stoull(lo, nullptr, 16);
  return value >> 24;  // 16 MiB segments
}

std::vector<std::string> wal_gaps(const std::vector<std::string>& archived, uint64_t from, uint64_t to) {
  std::map<uint64_t, std::string> timeline_at;  // position -> a timeline that has it
  for (const std::string& name : archived)
    if (std::optional<uint64_t> p = segment_position(name)) timeline_at.emplace(*p, name.substr(0, 8));
  std::vector<std::string> gaps;
  std::string timeline = "00000001";
  for (uint64_t p = from; p <= to && gaps.size() < 100000; ++p) {
    auto it = timeline_at.find(p);
    if (it != timeline_at.end())
      timeline = it->second;
    else
      gaps.push_back(segment_name(timeline, p));
  }
  return gaps;
}

Result<std::vector<std::string>> archive_gaps(Repository& repo, const std::string& stanza) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> backups, pg_backups(repo, stanza));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> wal, archived_wal(repo, stanza));
  std::optional<uint64_t> from, to;
  for (const SnapshotManifest& m : backups) {
    std::optional<uint64_t> p = segment_position(pg_label(m, kPgStartWalLabel));
    if (p && (!from || *p < *from)) from = p;
  }
  for (const std::string& name : wal) {
    std::optional<uint64_t> p = segment_position(name);
    if (p && (!to || *p > *to)) to = p;
  }
  if (!from || !to) return std::vector<std::string>{};
  return wal_gaps(wal, *from, *to);
}

}  // namespace cairn
