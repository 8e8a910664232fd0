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
  CAIRN_CONFIG_DIR     folder of locations.json and schedules.json (default ~/.config/cairn)
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

// restore create's flags for Kubernetes backups (Velero's names).
void add_restore_k8s_flags(CLI::App* cmd, RestoreCreateArgs& a) {
  cmd->add_option("--include-namespaces", a.include_namespaces,
                  "Kubernetes: namespaces to restore (a,b or *)")
      ->delimiter(',');
  cmd->add_option("--exclude-namespaces", a.exclude_namespaces, "Kubernetes: namespaces to leave out")
      ->delimiter(',');
  cmd->add_option("--include-resources", a.include_resources,
                  "Kubernetes: resource types to restore (a,b or *)")
      ->delimiter(',');
  cmd->add_option("--exclude-resources", a.exclude_resources, "Kubernetes: resource types to leave out")
      ->delimiter(',');
  cmd->add_option("--selector", a.selector, "Kubernetes: only objects with these labels (k=v,k2!=v2)");
  cmd->add_option("--include-cluster-resources", a.include_cluster_resources,
                  "Kubernetes: cluster-scoped objects: true, false or auto (only with every namespace)");
  cmd->add_option("--namespace-mappings", a.namespace_mappings,
                  "Kubernetes: restore namespace old into new (old:new,old2:new2)")
      ->delimiter(',');
  cmd->add_option("--existing-resource-policy", a.existing_resource_policy,
                  "Kubernetes: objects that already exist: none (leave them) or update (patch them)");
  cmd->add_option("--resource-modifiers", a.resource_modifiers,
                  "Kubernetes: Velero resource modifiers YAML file (JSON patches by type, namespace, name)");
  cmd->add_option("--restore-resource-priorities", a.restore_resource_priorities,
                  "Kubernetes: restore order (a,b,-,c: a and b first, c last); replaces Velero's default")
      ->delimiter(',');
  cmd->add_option("--crd-establish-timeout", a.crd_establish_timeout_seconds,
                  "Kubernetes: seconds to wait for a restored CRD to be Established")
      ->capture_default_str();
  cmd->add_option("--kubeconfig", a.kubeconfig, "Kubeconfig file (default: KUBECONFIG, ~/.kube/config)");
  cmd->add_option("--context", a.kube_context, "Kubeconfig context (default: its current-context)");
}

void add_keep_flags(CLI::App* cmd, RetentionPolicy& p) {
  auto* last = cmd->add_option("--keep-last", p.keep_last, "Keep the N newest backups");
  auto* hourly =
      cmd->add_option("--keep-hourly", p.keep_hourly, "Keep the newest backup of each of the last N hours");
  auto* daily =
      cmd->add_option("--keep-daily", p.keep_daily, "Keep the newest backup of each of the last N days");
  auto* weekly =
      cmd->add_option("--keep-weekly", p.keep_weekly, "Keep the newest backup of each of the last N weeks");
  auto* monthly = cmd->add_option("--keep-monthly", p.keep_monthly,
                                  "Keep the newest backup of each of the last N months");
  auto* yearly =
      cmd->add_option("--keep-yearly", p.keep_yearly, "Keep the newest backup of each of the last N years");
  for (auto* o : {last, hourly, daily, weekly, monthly, yearly}) o->check(CLI::Range(0, 1000000));
}

struct LocationArgs {
  LocationCreateArgs create;
  LocationGetArgs get;
  LocationSetArgs set;
  std::string delete_name;
};

struct PgArgs {
  PgStanzaArgs stanza;
  PgArchiveArgs push, get;
  PgBackupArgs backup;
  PgRestoreArgs restore;
  PgInfoArgs info;
  PgExpireArgs expire;
  PgCheckArgs check;
};

void add_pg_commands(CLI::App& app, GlobalOptions& g, PgArgs& a, int& code) {
  auto* pg = app.add_subcommand("pg", "PostgreSQL: stanzas, WAL archiving, backups and point-in-time restore")
                 ->require_subcommand(1);
  auto* stanza =
      pg->add_subcommand("stanza", "Record a PostgreSQL cluster in the repository")->require_subcommand(1);
  auto* create = stanza->add_subcommand("create", "Record the cluster at --pg-path as stanza NAME");
  create->add_option("NAME", a.stanza.name, "Stanza name")->required();
  create->add_option("--pg-path", a.stanza.pg_path, "The cluster's data directory")->required();
  create->add_option("--pg-socket-path", a.stanza.socket_path, "Unix socket directory of the server");
  create->add_option("--pg-host", a.stanza.host, "Host of the server (instead of a socket)");
  create->add_option("--pg-port", a.stanza.port, "Port of the server");
  create->add_option("--pg-user", a.stanza.user, "User to connect as (needs pg_backup_start rights)");
  add_output_flag(create, g);
  create->callback([&] { code = cmd_pg_stanza_create(g, a.stanza); });

  auto* push = pg->add_subcommand("archive-push", "Archive one WAL file (archive_command = '... %p')");
  push->add_option("--stanza", a.push.stanza, "Stanza name")->required();
  push->add_option("WAL_PATH", a.push.file, "Path of the WAL file (%p)")->required();
  push->callback([&] { code = cmd_pg_archive_push(g, a.push); });

  auto* get = pg->add_subcommand("archive-get", "Fetch one WAL file (restore_command = '... %f \"%p\"')");
  get->add_option("--stanza", a.get.stanza, "Stanza name")->required();
  get->add_option("WAL_FILE", a.get.file, "Name of the WAL file (%f)")->required();
  get->add_option("DEST", a.get.dest, "Where to write it (%p)")->required();
  get->callback([&] { code = cmd_pg_archive_get(g, a.get); });

  auto* backup = pg->add_subcommand("backup", "Take an online backup of a stanza's cluster");
  backup->add_option("--stanza", a.backup.stanza, "Stanza name")->required();
  backup
      ->add_option("--type", a.backup.type,
                   "full, diff (since the last full) or incr (since the last backup)")
      ->check(CLI::IsMember({"full", "diff", "incr"}));
  backup->add_option("--retention-full", a.backup.retention_full, "Then keep only the newest N full backups")
      ->check(CLI::Range(0, 1000000));
  backup->add_option("--retention-diff", a.backup.retention_diff, "Then keep only the newest N diff backups")
      ->check(CLI::Range(0, 1000000));
  backup
      ->add_option("--archive-timeout", a.backup.archive_timeout,
                   "Seconds to wait for the backup's last WAL segment to be archived (default 60)")
      ->check(CLI::Range(0.1, 86400.0));
  add_output_flag(backup, g);
  backup->callback([&] { code = cmd_pg_backup(g, a.backup); });

  auto* expire = pg->add_subcommand(
      "expire",
      "Remove backups beyond the retention and the WAL no kept backup needs (--dry-run to preview)");
  expire->add_option("--stanza", a.expire.stanza, "Stanza name")->required();
  expire->add_option("--retention-full", a.expire.retention_full, "Keep the newest N full backups (0: all)")
      ->check(CLI::Range(0, 1000000));
  expire->add_option("--retention-diff", a.expire.retention_diff, "Keep the newest N diff backups (0: all)")
      ->check(CLI::Range(0, 1000000));
  expire->add_flag("--dry-run", a.expire.dry_run, "Show what would be removed; remove nothing");
  add_output_flag(expire, g);
  expire->callback([&] { code = cmd_pg_expire(g, a.expire); });

  auto* restore = pg->add_subcommand("restore", "Restore a stanza's backup and set up recovery to a target");
  restore->add_option("--stanza", a.restore.stanza, "Stanza name")->required();
  restore->add_option("--set", a.restore.set, "Backup label (default: the newest that suits the target)");
  restore->add_option("--pg-path", a.restore.pg_path, "Restore here instead of the stanza's data directory");
  restore->add_option("--type", a.restore.type, "Recovery target type")
      ->check(CLI::IsMember({"default", "immediate", "time", "xid", "lsn", "name"}));
  restore->add_option("--target", a.restore.target,
                      "Recovery target (a time, xid, LSN or restore point name)");
  restore->add_option("--target-action", a.restore.target_action, "What PostgreSQL does at the target")
      ->check(CLI::IsMember({"pause", "promote", "shutdown"}));
  restore->add_option("--target-timeline", a.restore.target_timeline, "Timeline to recover along");
  restore->add_flag("--force", a.restore.force, "Replace the contents of a non-empty directory");
  restore->add_flag("--delta", a.restore.delta,
                    "Keep the files that already match the backup; fetch only the chunks that differ");
  add_output_flag(restore, g);
  restore->callback([&] { code = cmd_pg_restore(g, a.restore); });

  auto* check = pg->add_subcommand(
      "check", "Switch WAL and wait until the segment is archived; report gaps in the archive");
  check->add_option("--stanza", a.check.stanza, "Stanza name")->required();
  check
      ->add_option("--archive-timeout", a.check.archive_timeout,
                   "Seconds to wait for the segment (default 60)")
      ->check(CLI::Range(0.0, 86400.0));
  add_output_flag(check, g);
  check->callback([&] { code = cmd_pg_check(g, a.check); });

  auto* info = pg->add_subcommand("info", "List the backups and the WAL archive of stanzas");
  info->add_option("--stanza", a.info.stanza, "Only this stanza");
  add_output_flag(info, g);
  info->callback([&] { code = cmd_pg_info(g, a.info); });
}

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
struct ScheduleArgs {
  ScheduleCreateArgs create;
  std::vector<std::string> names;
  std::string name;
  bool confirm = false;
};

void add_schedule_commands(CLI::App& app, GlobalOptions& g, ScheduleArgs& args, int& code) {
  auto* schedule = app.add_subcommand("schedule", "Back up on a cron schedule (run by 'cairn server')")
                       ->require_subcommand(1);
  ScheduleCreateArgs& c = args.create;
  auto* create = schedule->add_subcommand("create", "Create a schedule of backups into this repository");
  create->add_option("NAME", c.name, "Schedule name; its backups are named NAME-YYYYMMDDHHMMSS")->required();
  create
      ->add_option("--schedule", c.schedule,
                   "Cron expression: 5 fields, 6 with seconds first, @daily, '@every 90m'; prefix "
                   "CRON_TZ=Europe/Oslo for a time zone (default UTC)")
      ->required();
  create->add_option("--ttl", c.ttl, "Each backup expires this long after it starts, e.g. 720h or 30d");
  add_keep_flags(create, c.policy);
  create->add_option("--path", c.paths, "Folder or file to back up (repeatable)");
  create->add_option("--exclude", c.excludes, "Glob of paths to leave out (repeatable)");
  create->add_option("--exclude-marker", c.exclude_marker, "Skip folders that hold a file with this name")
      ->capture_default_str();
  create->add_option("--label", c.labels, "Label k=v for each backup (repeatable)");
  create->add_option("--pg-stanza", c.pg_stanza, "Run 'cairn pg backup' of this stanza instead of --path");
  create->add_option("--pg-type", c.pg_type, "full, diff or incr (with --pg-stanza; default incr)")
      ->check(CLI::IsMember({"full", "diff", "incr"}));
  create->add_option("--pg-retention-full", c.pg_retention_full, "Then keep the newest N full pg backups")
      ->check(CLI::Range(0, 1000000));
  create->add_option("--pg-retention-diff", c.pg_retention_diff, "Then keep the newest N diff pg backups")
      ->check(CLI::Range(0, 1000000));
  create->callback([&] { code = cmd_schedule_create(g, c); });

  auto* get = schedule->add_subcommand("get", "List schedules");
  get->add_option("NAME", args.names, "Only these schedules");
  add_output_flag(get, g);
  get->callback([&] { code = cmd_schedule_get(g, args.names); });

  auto* describe = schedule->add_subcommand("describe", "Show one schedule, its template and next run");
  describe->add_option("NAME", args.name, "Schedule name")->required();
  add_output_flag(describe, g);
  describe->callback([&] { code = cmd_schedule_describe(g, args.name); });

  auto* pause = schedule->add_subcommand("pause", "Stop the server from running these schedules");
  pause->add_option("NAME", args.names, "Schedule names")->required();
  pause->callback([&] { code = cmd_schedule_pause(g, args.names, true); });
  auto* unpause = schedule->add_subcommand("unpause", "Let the server run these schedules again");
  unpause->add_option("NAME", args.names, "Schedule names")->required();
  unpause->callback([&] { code = cmd_schedule_pause(g, args.names, false); });

  auto* del = schedule->add_subcommand("delete", "Delete schedules (their backups stay)");
  del->add_option("NAME", args.names, "Schedule names")->required();
  del->add_flag("--confirm", args.confirm, "Accepted for compatibility with velero; deletion never prompts");
  del->callback([&] { code = cmd_schedule_delete(g, args.names); });
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
  // Global flags work after the subcommand too ("cairn backup get --location
  // prod"); subcommands created below inherit this.
  app.fallthrough();
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

  RepoPruneArgs prune;
  auto* prune_cmd = repo->add_subcommand(
      "prune", "Remove data no backup references (safe while backups run); repack mostly-garbage packs");
  prune_cmd->add_flag("--dry-run", prune.dry_run, "Show what would be deleted and repacked; change nothing");
  prune_cmd
      ->add_option("--max-repack-ratio", prune.max_repack_ratio,
                   "Repack a pack when more than this share of it is garbage (0-1; 1 never repacks)")
      ->check(CLI::Range(0.0, 1.0));
  add_output_flag(prune_cmd, g);
  prune_cmd->callback([&] { code = cmd_repo_prune(g, prune); });

  // backup
  auto* backup =
      app.add_subcommand("backup", "Create, list, inspect and delete backups")->require_subcommand(1);
  BackupCreateArgs create;
  auto* create_cmd =
      backup->add_subcommand("create", "Back up folders (persistent volumes) into the repository");
  create_cmd->add_option("NAME", create.name,
                         "Name of the new backup (unique in the repository; with --from-schedule default "
                         "SCHEDULE-YYYYMMDDHHMMSS)");
  create_cmd->add_option("--path", create.paths,
                         "Folder or file to back up (repeatable; or Kubernetes state with the flags below, "
                         "or --from-schedule)");
  create_cmd->add_option("--exclude", create.excludes,
                         "Glob of paths to leave out (repeatable), e.g. '*.tmp' or '/data/cache'");
  create_cmd
      ->add_option("--exclude-marker", create.exclude_marker, "Skip folders that hold a file with this name")
      ->capture_default_str();
  create_cmd->add_option("--label", create.labels, "Label k=v to attach (repeatable)");
  create_cmd->add_flag("--full", create.full, "Read every file, even those unchanged since the last backup");
  create_cmd->add_option("--ttl", create.ttl,
                         "Delete the backup this long after it starts, e.g. 720h or 30d");
  create_cmd->add_option("--from-schedule", create.from_schedule,
                         "Run this schedule's backup now (its paths, labels, TTL and repository)");
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
  // A byte stream, such as a logical database dump.
  create_cmd->add_option("--stdin-from", create.stdin_from,
                         "Run this shell command and back up its standard output as one file, e.g. "
                         "\"pg_dump -Fc mydb\"; the backup fails if the command does");
  create_cmd->add_flag("--stdin", create.read_stdin, "Back up cairn's standard input as one file");
  create_cmd->add_option("--stdin-filename", create.stdin_filename,
                         "Name of that file in the backup (default: stdin)");
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

  BackupForgetArgs forget;
  auto* forget_cmd = backup->add_subcommand(
      "forget", "Delete backups that retention rules do not keep, and expired ones (--dry-run to preview)");
  forget_cmd->add_option("NAME", forget.names, "Only consider these backups (default: all)");
  forget_cmd->add_option("-l,--selector", forget.selector,
                         "Only consider backups with these labels (k=v,k2=v2)");
  add_keep_flags(forget_cmd, forget.policy);
  forget_cmd->add_flag("--dry-run", forget.dry_run, "Show what would be deleted and why; delete nothing");
  add_output_flag(forget_cmd, g);
  forget_cmd->callback([&] { code = cmd_backup_forget(g, forget); });

  // restore
  auto* restore = app.add_subcommand("restore", "Restore backups")->require_subcommand(1);
  RestoreCreateArgs rc;
  auto* rc_cmd = restore->add_subcommand(
      "create", "Restore a backup: files into a folder, or Kubernetes objects into a cluster");
  rc_cmd->add_option("NAME", rc.name, "Name of this restore (default: <backup>-<timestamp>)");
  rc_cmd->add_option("--from-backup", rc.from_backup, "Backup to restore");
  rc_cmd->add_option("--from-schedule", rc.from_schedule,
                     "Restore the newest Completed backup of this schedule (instead of --from-backup)");
  rc_cmd->add_flag("--wait", rc.wait, "Accepted for compatibility with velero; restores always finish first");
  rc_cmd->add_option(
      "--target", rc.target,
      "Folder to restore into; backed-up paths are re-created under it ('/' restores in place). "
      "Required for file backups");
  rc_cmd->add_flag("--to-stdout", rc.to_stdout,
                   "Write the backup's one file (a --stdin-from stream, or the file --include picks) to "
                   "standard output instead of --target");
  rc_cmd->add_option("--include", rc.includes, "Backed-up path to restore (repeatable; default: everything)");
  add_restore_k8s_flags(rc_cmd, rc);
  add_output_flag(rc_cmd, g);
  rc_cmd->callback([&] { code = cmd_restore_create(g, rc); });

  RestoreGetArgs rget;
  auto* rget_cmd = restore->add_subcommand("get", "List restores");
  rget_cmd->add_option("NAME", rget.names, "Only these restores");
  add_output_flag(rget_cmd, g);
  rget_cmd->callback([&] { code = cmd_restore_get(g, rget); });

  RestoreDescribeArgs rdesc;
  auto* rdesc_cmd = restore->add_subcommand("describe", "Show one restore: status, errors, warnings");
  rdesc_cmd->add_option("NAME", rdesc.name, "Restore name")->required();
  rdesc_cmd->add_flag("--details", rdesc.details, "Show the outcome of every item");
  add_output_flag(rdesc_cmd, g);
  rdesc_cmd->callback([&] { code = cmd_restore_describe(g, rdesc); });

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
  ScheduleArgs schedule_args;
  add_schedule_commands(app, g, schedule_args, code);
  ServerArgs server;
  auto* server_cmd = app.add_subcommand(
      "server", "Run due schedules, retention and TTL expiry; serve /healthz and Prometheus /metrics");
  server_cmd->add_option("--metrics-address", server.metrics_address, "HOST:PORT of /healthz and /metrics")
      ->capture_default_str();
  server_cmd->callback([&] { code = cmd_server(g, server); });

  PgArgs pg_args;
  add_pg_commands(app, g, pg_args, code);

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
