// Flag parsing: the only file that includes CLI11.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/log.h"

namespace cairn {

namespace {
constexpr char kExitCodes[] = R"(
Exit codes:
  0   success
  1   the operation failed
  2   wrong flags or arguments
  3   finished, but some files were not backed up or restored (see the output)
  10  there is no repository at the given location
  11  the repository is locked by another process
  12  wrong password

Environment:
  CAIRN_REPO           repository path (instead of --repo)
  CAIRN_PASSWORD_FILE  file holding the repository password
  CAIRN_PASSWORD       the repository password (prefer the file)
The password is never accepted as a command-line argument.)";

void add_output_flag(CLI::App* cmd, GlobalOptions& g) {
  cmd->add_option("-o,--output", g.output, "Output format")->check(CLI::IsMember({"table", "json"}));
}
}  // namespace

int run_cli(int argc, char** argv) {
  GlobalOptions g;
  CLI::App app{"cairn backs up persistent volumes (and, soon, PostgreSQL and Kubernetes state) into one\n"
               "deduplicated, compressed, encrypted repository, and restores all or part of it."};
  app.name("cairn");
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", "cairn 0.1.0");
  app.add_option("--repo", g.repo, "Repository path (default: $CAIRN_REPO)");
  app.add_flag("-q,--quiet", g.quiet, "Print only errors and results");
  app.add_flag("-v,--verbose", g.verbose, "Print more detail");
  app.add_flag("--no-progress", g.no_progress, "Do not show progress");
  int code = kExitOk;

  // repo
  auto* repo = app.add_subcommand("repo", "Create and verify repositories")->require_subcommand(1);
  RepoInitArgs init;
  auto* init_cmd = repo->add_subcommand("init", "Create a new, empty repository");
  init_cmd->add_option("--compression-level", init.compression_level, "zstd level for data, 0 to store uncompressed")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  init_cmd->add_option("--pack-size", init.pack_size_mib, "Target pack size in MiB")
      ->check(CLI::Range(4, 512))
      ->capture_default_str();
  init_cmd->add_option("--kdf-memory", init.kdf_memory_mib, "Argon2id memory in MiB for the password key")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  init_cmd->add_option("--kdf-iterations", init.kdf_iterations, "Argon2id passes")->check(CLI::Range(1, 20))->capture_default_str();
  init_cmd->callback([&] { code = cmd_repo_init(g, init); });

  RepoCheckArgs check;
  auto* check_cmd = repo->add_subcommand("check", "Verify the repository's structure, and with --read-data every blob");
  check_cmd->add_flag("--read-data", check.read_data, "Read, decrypt and re-hash every blob");
  add_output_flag(check_cmd, g);
  check_cmd->callback([&] { code = cmd_repo_check(g, check); });

  auto* stats_cmd = repo->add_subcommand("stats", "Show the size of the repository");
  add_output_flag(stats_cmd, g);
  stats_cmd->callback([&] { code = cmd_repo_stats(g); });

  // backup
  auto* backup = app.add_subcommand("backup", "Create, list, inspect and delete backups")->require_subcommand(1);
  BackupCreateArgs create;
  auto* create_cmd = backup->add_subcommand("create", "Back up folders (persistent volumes) into the repository");
  create_cmd->add_option("NAME", create.name, "Name of the new backup (unique in the repository)")->required();
  create_cmd->add_option("--path", create.paths, "Folder or file to back up (repeatable)")->required();
  create_cmd->add_option("--exclude", create.excludes, "Glob of paths to leave out (repeatable), e.g. '*.tmp' or '/data/cache'");
  create_cmd->add_option("--exclude-marker", create.exclude_marker, "Skip folders that hold a file with this name")
      ->capture_default_str();
  create_cmd->add_option("--label", create.labels, "Label k=v to attach (repeatable)");
  create_cmd->add_flag("--full", create.full, "Read every file, even those unchanged since the last backup");
  create_cmd->callback([&] { code = cmd_backup_create(g, create); });

  BackupGetArgs get;
  auto* get_cmd = backup->add_subcommand("get", "List backups");
  get_cmd->add_option("NAME", get.names, "Only these backups");
  get_cmd->add_option("-l,--selector", get.selector, "Only backups with these labels (k=v,k2=v2)");
  add_output_flag(get_cmd, g);
  get_cmd->callback([&] { code = cmd_backup_get(g, get); });

  BackupDescribeArgs describe;
  auto* describe_cmd = backup->add_subcommand("describe", "Show one backup: what it holds, errors and warnings");
  describe_cmd->add_option("NAME", describe.name, "Backup name")->required();
  describe_cmd->add_flag("--details", describe.details, "List every file");
  add_output_flag(describe_cmd, g);
  describe_cmd->callback([&] { code = cmd_backup_describe(g, describe); });

  BackupDeleteArgs del;
  auto* delete_cmd = backup->add_subcommand("delete", "Remove backups from the repository (prune reclaims the space)");
  delete_cmd->add_option("NAME", del.names, "Backup names")->required();
  delete_cmd->add_flag("--confirm", del.confirm, "Accepted for compatibility with velero; deletion never prompts");
  delete_cmd->callback([&] { code = cmd_backup_delete(g, del); });

  // restore
  auto* restore = app.add_subcommand("restore", "Restore backups")->require_subcommand(1);
  RestoreCreateArgs rc;
  auto* rc_cmd = restore->add_subcommand("create", "Restore a backup, or some of its paths, into a folder");
  rc_cmd->add_option("NAME", rc.name, "Name of this restore (default: <backup>-<timestamp>)");
  rc_cmd->add_option("--from-backup", rc.from_backup, "Backup to restore")->required();
  rc_cmd->add_option("--target", rc.target,
                     "Folder to restore into; backed-up paths are re-created under it ('/' restores in place)")
      ->required();
  rc_cmd->add_option("--include", rc.includes, "Backed-up path to restore (repeatable; default: everything)");
  add_output_flag(rc_cmd, g);
  rc_cmd->callback([&] { code = cmd_restore_create(g, rc); });

  // key
  auto* key = app.add_subcommand("key", "Manage the passwords that open the repository")->require_subcommand(1);
  key->add_subcommand("add", "Add a password (from CAIRN_NEW_PASSWORD_FILE, CAIRN_NEW_PASSWORD or a prompt)")
      ->callback([&] { code = cmd_key_add(g); });
  auto* key_list = key->add_subcommand("list", "List the key files");
  add_output_flag(key_list, g);
  key_list->callback([&] { code = cmd_key_list(g); });
  std::string key_id;
  auto* key_remove = key->add_subcommand("remove", "Remove a key file (not the one in use)");
  key_remove->add_option("ID", key_id, "Key id or a unique prefix of it")->required();
  key_remove->callback([&] { code = cmd_key_remove(g, key_id); });

  app.parse_complete_callback([&] {
    if (g.verbose) set_log_level(LogLevel::kDebug);
    if (g.quiet) set_log_level(LogLevel::kWarning);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s\nRun 'cairn --help' (or '<command> --help') for usage.\n", e.what());
    return kExitUsage;
  } catch (const CommandExit& e) {
    return e.code;
  }
  return code;
}

}  // namespace cairn
