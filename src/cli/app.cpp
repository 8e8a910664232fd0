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

Without --repo or --location, cairn uses CAIRN_REPO, else the default location.

Environment:
  CAIRN_REPO           repository path (instead of --repo)
  CAIRN_CONFIG_DIR     folder of locations.json (default ~/.config/cairn)
  CAIRN_PASSWORD_FILE  file holding the repository password
  CAIRN_PASSWORD       the repository password (prefer the file)
The password is never accepted as a command-line argument.)";

// CLI11 lists unexpected arguments verbatim, and a mistaken one may be a
// password (--password=..., or a secret pasted as an argument). Name the
// unexpected flags without their values and never echo anything else.
std::string describe_unexpected_arguments(const std::string& message) {
  std::string flags;
  size_t colon = message.find(": ");
  std::string rest = colon == std::string::npos ? "" : message.substr(colon + 2);
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t end = rest.find(' ', pos);
    std::string token = rest.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (token.size() > 1 && token[0] == '-')
      flags += (flags.empty() ? "" : ", ") + token.substr(0, token.find('='));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (flags.empty()) return "unexpected extra arguments (not shown, in case they hold a secret)";
  return "unknown flag " + flags + " (values are not shown, in case they hold a secret)";
}

void add_output_flag(CLI::App* cmd, GlobalOptions& g) {
  cmd->add_option("-o,--output", g.output, "Output format")->check(CLI::IsMember({"table", "json"}));
}

struct LocationArgs {
  LocationCreateArgs create;
  LocationGetArgs get;
  LocationSetArgs set;
  std::string delete_name;
};

void add_location_commands(CLI::App& app, GlobalOptions& g, LocationArgs& args, int& code) {
  auto* location = app.add_subcommand("location", "Manage storage locations (where repositories live)")
                       ->require_subcommand(1);
  LocationCreateArgs& create = args.create;
  Location& l = create.location;
  auto* create_cmd = location->add_subcommand("create", "Add a storage location to this machine's config");
  create_cmd->add_option("NAME", l.name, "Location name")->required();
  create_cmd->add_option("--provider", create.provider, "local or s3")
      ->check(CLI::IsMember({"local", "s3"}))
      ->capture_default_str();
  create_cmd->add_option("--path", l.path, "local: the repository folder");
  create_cmd->add_option("--bucket", l.bucket, "s3: bucket");
  create_cmd->add_option("--prefix", l.prefix, "s3: key prefix of the repository in the bucket");
  create_cmd->add_option("--endpoint", l.endpoint,
                         "s3: endpoint URL, e.g. http://127.0.0.1:7480 (default: AWS)");
  create_cmd->add_option("--region", l.region, "s3: region");
  create_cmd->add_option("--credentials-file", l.credentials_file,
                         "s3: AWS shared-credentials file (default: the AWS_* environment variables)");
  create_cmd->add_option("--profile", l.profile, "s3: profile in the credentials file (default: default)");
  create_cmd
      ->add_option("--path-style", l.path_style,
                   "s3: path-style addressing (endpoint/bucket/key); false: virtual-hosted (bucket.endpoint)")
      ->capture_default_str();
  create_cmd->add_option("--ca-bundle", l.ca_bundle, "s3: CA certificates to trust for HTTPS");
  create_cmd->add_option("--access-mode", create.access_mode, "ReadWrite, ReadOnly or AppendOnly")
      ->check(CLI::IsMember({"ReadWrite", "ReadOnly", "AppendOnly"}))
      ->capture_default_str();
  create_cmd->add_flag("--default", l.is_default, "Use this location when no --repo or --location is given");
  create_cmd->callback([&] { code = cmd_location_create(g, create); });

  LocationGetArgs& get = args.get;
  auto* get_cmd = location->add_subcommand("get", "List locations and probe whether each is available");
  get_cmd->add_option("NAME", get.names, "Only these locations");
  add_output_flag(get_cmd, g);
  get_cmd->callback([&] { code = cmd_location_get(g, get); });

  LocationSetArgs& set = args.set;
  auto* set_cmd = location->add_subcommand("set", "Change a location's access mode or make it the default");
  set_cmd->add_option("NAME", set.name, "Location name")->required();
  set_cmd->add_option("--access-mode", set.access_mode, "ReadWrite, ReadOnly or AppendOnly")
      ->check(CLI::IsMember({"ReadWrite", "ReadOnly", "AppendOnly"}));
  set_cmd->add_flag("--default", set.make_default, "Make it the default location");
  set_cmd->callback([&] { code = cmd_location_set(g, set); });

  std::string& delete_name = args.delete_name;
  auto* delete_cmd =
      location->add_subcommand("delete", "Remove a location from the config (not its repository)");
  delete_cmd->add_option("NAME", delete_name, "Location name")->required();
  delete_cmd->callback([&] { code = cmd_location_delete(g, delete_name); });
}
}  // namespace

int run_cli(int argc, char** argv) {
  GlobalOptions g;
  CLI::App app{
      "cairn backs up persistent volumes (and, soon, PostgreSQL and Kubernetes state) into one\n"
      "deduplicated, compressed, encrypted repository, and restores all or part of it."};
  app.name("cairn");
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", "cairn 0.1.0");
  app.add_option("--repo", g.repo, "Repository path (default: $CAIRN_REPO, else the default location)");
  app.add_option("--location", g.location,
                 "Use the repository of this storage location (see 'cairn location')");
  app.add_flag("-q,--quiet", g.quiet, "Print only errors and results");
  app.add_flag("-v,--verbose", g.verbose, "Print more detail");
  app.add_flag("--no-progress", g.no_progress, "Do not show progress");
  int code = kExitOk;

  // repo
  auto* repo = app.add_subcommand("repo", "Create and verify repositories")->require_subcommand(1);
  RepoInitArgs init;
  auto* init_cmd = repo->add_subcommand("init", "Create a new, empty repository");
  init_cmd
      ->add_option("--compression-level", init.compression_level,
                   "zstd level for data, 0 to store uncompressed")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  init_cmd->add_option("--pack-size", init.pack_size_mib, "Target pack size in MiB")
      ->check(CLI::Range(4, 512))
      ->capture_default_str();
  init_cmd->add_option("--kdf-memory", init.kdf_memory_mib, "Argon2id memory in MiB for the password key")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  init_cmd->add_option("--kdf-iterations", init.kdf_iterations, "Argon2id passes")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  init_cmd->callback([&] { code = cmd_repo_init(g, init); });

  RepoCheckArgs check;
  auto* check_cmd =
      repo->add_subcommand("check", "Verify the repository's structure, and with --read-data every blob");
  check_cmd->add_flag("--read-data", check.read_data, "Read, decrypt and re-hash every blob");
  add_output_flag(check_cmd, g);
  check_cmd->callback([&] { code = cmd_repo_check(g, check); });

  auto* stats_cmd = repo->add_subcommand("stats", "Show the size of the repository");
  add_output_flag(stats_cmd, g);
  stats_cmd->callback([&] { code = cmd_repo_stats(g); });

  // backup
  auto* backup =
      app.add_subcommand("backup", "Create, list, inspect and delete backups")->require_subcommand(1);
  BackupCreateArgs create;
  auto* create_cmd =
      backup->add_subcommand("create", "Back up folders (persistent volumes) into the repository");
  create_cmd->add_option("NAME", create.name, "Name of the new backup (unique in the repository)")
      ->required();
  create_cmd->add_option("--path", create.paths, "Folder or file to back up (repeatable)");
  create_cmd->add_option("--exclude", create.excludes,
                         "Glob of paths to leave out (repeatable), e.g. '*.tmp' or '/data/cache'");
  create_cmd
      ->add_option("--exclude-marker", create.exclude_marker, "Skip folders that hold a file with this name")
      ->capture_default_str();
  create_cmd->add_option("--label", create.labels, "Label k=v to attach (repeatable)");
  create_cmd->add_flag("--full", create.full, "Read every file, even those unchanged since the last backup");
  // Kubernetes cluster state, with Velero's flags.
  create_cmd
      ->add_option("--include-namespaces", create.include_namespaces, "Namespaces to back up (a,b or *)")
      ->delimiter(',');
  create_cmd->add_option("--exclude-namespaces", create.exclude_namespaces, "Namespaces to leave out")
      ->delimiter(',');
  create_cmd
      ->add_option("--include-resources", create.include_resources, "Resource types to back up (a,b or *)")
      ->delimiter(',');
  create_cmd->add_option("--exclude-resources", create.exclude_resources, "Resource types to leave out")
      ->delimiter(',');
  create_cmd->add_option("--selector", create.selector, "Only objects with these labels (k=v,k2!=v2)");
  create_cmd->add_option("--include-cluster-resources", create.include_cluster_resources,
                         "Cluster-scoped objects: true, false or auto (only with every namespace)");
  create_cmd->add_option("--kubeconfig", create.kubeconfig,
                         "Kubeconfig file (default: KUBECONFIG, ~/.kube/config)");
  create_cmd->add_option("--context", create.kube_context,
                         "Kubeconfig context (default: its current-context)");
  create_cmd->callback([&] { code = cmd_backup_create(g, create); });

  BackupGetArgs get;
  auto* get_cmd = backup->add_subcommand("get", "List backups");
  get_cmd->add_option("NAME", get.names, "Only these backups");
  get_cmd->add_option("-l,--selector", get.selector, "Only backups with these labels (k=v,k2=v2)");
  add_output_flag(get_cmd, g);
  get_cmd->callback([&] { code = cmd_backup_get(g, get); });

  BackupDescribeArgs describe;
  auto* describe_cmd =
      backup->add_subcommand("describe", "Show one backup: what it holds, errors and warnings");
  describe_cmd->add_option("NAME", describe.name, "Backup name")->required();
  describe_cmd->add_flag("--details", describe.details, "List every file");
  add_output_flag(describe_cmd, g);
  describe_cmd->callback([&] { code = cmd_backup_describe(g, describe); });

  BackupDeleteArgs del;
  auto* delete_cmd =
      backup->add_subcommand("delete", "Remove backups from the repository (prune reclaims the space)");
  delete_cmd->add_option("NAME", del.names, "Backup names")->required();
  delete_cmd->add_flag("--confirm", del.confirm,
                       "Accepted for compatibility with velero; deletion never prompts");
  delete_cmd->callback([&] { code = cmd_backup_delete(g, del); });

  // restore
  auto* restore = app.add_subcommand("restore", "Restore backups")->require_subcommand(1);
  RestoreCreateArgs rc;
  auto* rc_cmd = restore->add_subcommand("create", "Restore a backup, or some of its paths, into a folder");
  rc_cmd->add_option("NAME", rc.name, "Name of this restore (default: <backup>-<timestamp>)");
  rc_cmd->add_option("--from-backup", rc.from_backup, "Backup to restore")->required();
  rc_cmd
      ->add_option("--target", rc.target,
                   "Folder to restore into; backed-up paths are re-created under it ('/' restores in place)")
      ->required();
  rc_cmd->add_option("--include", rc.includes, "Backed-up path to restore (repeatable; default: everything)");
  add_output_flag(rc_cmd, g);
  rc_cmd->callback([&] { code = cmd_restore_create(g, rc); });

  // key
  auto* key =
      app.add_subcommand("key", "Manage the passwords that open the repository")->require_subcommand(1);
  key->add_subcommand("add", "Add a password (from CAIRN_NEW_PASSWORD_FILE, CAIRN_NEW_PASSWORD or a prompt)")
      ->callback([&] { code = cmd_key_add(g); });
  auto* key_list = key->add_subcommand("list", "List the key files");
  add_output_flag(key_list, g);
  key_list->callback([&] { code = cmd_key_list(g); });
  std::string key_id;
  auto* key_remove = key->add_subcommand("remove", "Remove a key file (not the one in use)");
  key_remove->add_option("ID", key_id, "Key id or a unique prefix of it")->required();
  key_remove->callback([&] { code = cmd_key_remove(g, key_id); });

  LocationArgs location_args;
  add_location_commands(app, g, location_args, code);

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
  } catch (const CLI::ExtrasError& e) {
    std::fprintf(stderr, "error: %s\nRun 'cairn --help' (or '<command> --help') for usage.\n",
                 describe_unexpected_arguments(e.what()).c_str());
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s\nRun 'cairn --help' (or '<command> --help') for usage.\n", e.what());
    return kExitUsage;
  } catch (const CommandExit& e) {
    log_storage_requests();
    return e.code;
  }
  log_storage_requests();
  return code;
}

}  // namespace cairn
