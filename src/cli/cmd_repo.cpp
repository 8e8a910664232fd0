// repo init | check | stats
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "repo/check.h"
#include "repo/lock.h"

namespace cairn {

using nlohmann::json;

int cmd_repo_init(const GlobalOptions& g, const RepoInitArgs& a) {
  RepositoryTarget target = resolve_target(g);
  exit_on_error(
      access_mode_refusal(target.location.access_mode, target.named ? target.location.name : "", false));
  Result<std::shared_ptr<Backend>> backend = open_backend_stack(target.location, true);
  if (!backend.is_ok()) {
    if (backend.status().code() == ErrorCode::kAlreadyExists) {
      std::fprintf(stderr, "error: a repository already exists at %s; nothing was changed.\n",
                   target.describe().c_str());
      return kExitFailure;
    }
    return report_error(backend.status());
  }
  Result<std::string> password = read_password("New repository password: ", true);
  exit_on_error(password.status());
  InitOptions options;
  options.compression_level = a.compression_level;
  options.pack_size = a.pack_size_mib * 1024 * 1024;
  options.kdf.memory_kib = a.kdf_memory_mib * 1024;
  options.kdf.iterations = a.kdf_iterations;
  exit_on_error(Repository::init(*backend, *password, options));
  if (!g.quiet) std::printf("created cairn repository at %s\n", target.describe().c_str());
  return kExitOk;
}

int cmd_repo_check(const GlobalOptions& g, const RepoCheckArgs& a) {
  auto repo = open_repository(g, false);
  CheckOptions options;
  options.read_data = a.read_data;
  CheckProgress progress;
  Result<CheckReport> report = [&] {
    ProgressPrinter printer(!g.quiet && !g.no_progress && !json_output(g), [&](double t) {
      return format_duration(t) + "  checked " + std::to_string(progress.packs_done) + "/" +
             std::to_string(progress.packs_total) + " packs, read " + format_size(progress.bytes_read);
    });
    return check_repository(*repo, options, &progress);
  }();
  exit_on_error(report.status());
  const CheckReport& r = *report;
  if (json_output(g)) {
    json j = {{"ok", r.ok()},
              {"read_data", a.read_data},
              {"packs", r.packs},
              {"blobs", r.blobs},
              {"snapshots", r.snapshots},
              {"trees", r.trees},
              {"bytes_read", r.bytes_read},
              {"unreferenced_packs", r.unreferenced_packs},
              {"problems", json::array()},
              {"affected_backups", r.affected_backups},
              {"affected_files", json::array()}};
    for (const auto& p : r.problems) j["problems"].push_back({{"object", p.object}, {"message", p.message}});
    for (const auto& f : r.affected_files)
      j["affected_files"].push_back({{"backup", f.backup}, {"path", f.path}});
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    std::printf("checked %llu packs, %llu blobs, %llu backups, %llu folders%s\n",
                static_cast<unsigned long long>(r.packs), static_cast<unsigned long long>(r.blobs),
                static_cast<unsigned long long>(r.snapshots), static_cast<unsigned long long>(r.trees),
                a.read_data ? (", read " + format_size(r.bytes_read)).c_str() : "");
    if (r.unreferenced_packs)
      std::printf("%llu packs are not referenced by any index (left by interrupted backups; harmless)\n",
                  static_cast<unsigned long long>(r.unreferenced_packs));
    for (const auto& p : r.problems) std::printf("damaged: %s: %s\n", p.object.c_str(), p.message.c_str());
    for (const auto& f : r.affected_files)
      std::printf("affected: backup \"%s\" file %s\n", f.backup.c_str(), printable_path(f.path).c_str());
    if (r.ok())
      std::printf("no errors were found\n");
    else
      std::fprintf(stderr, "error: the repository is damaged: %zu problems, %zu backups affected.\n",
                   r.problems.size(), r.affected_backups.size());
  }
  return r.ok() ? kExitOk : kExitFailure;
}

int cmd_repo_stats(const GlobalOptions& g) {
  auto repo = open_repository(g, true);
  uint64_t counts[6] = {0}, sizes[6] = {0};
  for (ObjectKind k : {ObjectKind::kKey, ObjectKind::kPack, ObjectKind::kIndex, ObjectKind::kSnapshot,
                       ObjectKind::kLock, ObjectKind::kArchive}) {
    exit_on_error(repo->backend().list(k, [&](const ObjectInfo& o) {
      counts[static_cast<int>(k)]++;
      sizes[static_cast<int>(k)] += o.size;
    }));
  }
  uint64_t raw = 0;
  repo->index().for_each([&](const BlobId&, const BlobLocation& loc) { raw += loc.raw_length; });
  uint64_t stored = 0;
  for (auto s : sizes) stored += s;
  if (json_output(g)) {
    json j = {{"location", repo->backend().properties().location},
              {"id", repo->config().id},
              {"snapshots", counts[static_cast<int>(ObjectKind::kSnapshot)]},
              {"packs", counts[static_cast<int>(ObjectKind::kPack)]},
              {"blobs", repo->index().blob_count()},
              {"stored_bytes", stored},
              {"unique_plaintext_bytes", raw}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("Location:        %s\n", repo->backend().properties().location.c_str());
    std::printf("Backups:         %llu\n",
                static_cast<unsigned long long>(counts[static_cast<int>(ObjectKind::kSnapshot)]));
    std::printf("Packs:           %llu\n",
                static_cast<unsigned long long>(counts[static_cast<int>(ObjectKind::kPack)]));
    std::printf("Blobs:           %zu\n", repo->index().blob_count());
    std::printf("Unique data:     %s\n", format_size(raw).c_str());
    std::printf("Stored:          %s\n", format_size(stored).c_str());
  }
  return kExitOk;
}

}  // namespace cairn
