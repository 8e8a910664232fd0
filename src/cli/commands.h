// The commands, one function each, separate from flag parsing (app.cpp) so
// that only one file pays for CLI11. Each returns an exit code.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"
#include "schedule/retention.h"

namespace cairn {

class Repository;
struct SnapshotManifest;

struct RepoInitArgs {
  int compression_level = 3;
  uint32_t pack_size_mib = 16;
  uint32_t kdf_memory_mib = 64;
  uint32_t kdf_iterations = 3;
};
int cmd_repo_init(const GlobalOptions& g, const RepoInitArgs& a);

struct RepoCheckArgs {
  bool read_data = false;
};
int cmd_repo_check(const GlobalOptions& g, const RepoCheckArgs& a);
int cmd_repo_stats(const GlobalOptions& g);

struct RepoPruneArgs {
  bool dry_run = false;
  double max_repack_ratio = 0.5;  // repack packs whose garbage share is above this
};
int cmd_repo_prune(const GlobalOptions& g, const RepoPruneArgs& a);

struct BackupCreateArgs {
  std::string name;
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::string exclude_marker = ".cairn-exclude";
  std::vector<std::string> labels;  // k=v
  bool full = false;                // ignore the parent: read every file
  std::string ttl;                  // "720h", "30d": the backup expires this long after it starts
  std::string from_schedule;        // run this schedule's template (its paths, labels, TTL, repository)
  // Kubernetes cluster state (cmd_backup_k8s.cpp); any of these given makes
  // it a cluster backup. Lists are comma-separated on the command line.
  std::vector<std::string> include_namespaces;  // "*" or empty: all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;
  std::vector<std::string> exclude_resources;
  std::string selector;                   // label selector: k=v,k2!=v2
  std::string include_cluster_resources;  // true | false | auto ("" = auto)
  std::string kubeconfig;                 // --kubeconfig; else KUBECONFIG, ~/.kube/config, in-cluster
  std::string kube_context;               // --context
  // A byte stream (cmd_backup_stream.cpp): a command's standard output or
  // cairn's own standard input, stored as one file.
  std::string stdin_from;      // --stdin-from CMD, run with /bin/sh -c
  bool read_stdin = false;     // --stdin
  std::string stdin_filename;  // --stdin-filename; default "stdin"
  bool backs_up_stream() const { return read_stdin || !stdin_from.empty(); }
  bool backs_up_cluster() const {
    return !include_namespaces.empty() || !exclude_namespaces.empty() || !include_resources.empty() ||
           !exclude_resources.empty() || !selector.empty() || !include_cluster_resources.empty() ||
           !kubeconfig.empty() || !kube_context.empty();
  }
};
int cmd_backup_create(const GlobalOptions& g, const BackupCreateArgs& a);
int cmd_backup_create_k8s(const GlobalOptions& g, const BackupCreateArgs& a);
int cmd_backup_create_stream(const GlobalOptions& g, const BackupCreateArgs& a);

struct BackupGetArgs {
  std::vector<std::string> names;
  std::string selector;  // k=v[,k2=v2]
};
int cmd_backup_get(const GlobalOptions& g, const BackupGetArgs& a);

struct BackupDescribeArgs {
  std::string name;
  bool details = false;
};
int cmd_backup_describe(const GlobalOptions& g, const BackupDescribeArgs& a);

struct BackupDeleteArgs {
  std::vector<std::string> names;
  bool confirm = false;
};
int cmd_backup_delete(const GlobalOptions& g, const BackupDeleteArgs& a);

struct BackupForgetArgs {
  std::vector<std::string> names;  // only these backups (default: all)
  std::string selector;            // only backups with these labels
  RetentionPolicy policy;
  bool dry_run = false;
};
int cmd_backup_forget(const GlobalOptions& g, const BackupForgetArgs& a);

struct RestoreCreateArgs {
  std::string name;
  std::string from_backup;
  std::string from_schedule;  // instead of from_backup: the newest Completed backup of this schedule
  bool wait = false;          // accepted for velero compatibility: restores are synchronous
  std::string target;
  std::vector<std::string> includes;
  // Kubernetes backups (cmd_restore_k8s.cpp); lists are comma-separated on the command line.
  std::vector<std::string> include_namespaces;  // "*" or empty: all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;
  std::vector<std::string> exclude_resources;
  std::string selector;                                  // label selector: k=v,k2!=v2
  std::string include_cluster_resources;                 // true | false | auto ("" = auto)
  std::vector<std::string> namespace_mappings;           // old:new
  std::string existing_resource_policy;                  // none | update ("" = none)
  std::string resource_modifiers;                        // Velero's resource modifiers YAML file
  std::vector<std::string> restore_resource_priorities;  // a,b,-,c; empty: Velero's defaults
  double crd_establish_timeout_seconds = 60;
  std::string kubeconfig;
  std::string kube_context;
  bool to_stdout = false;  // write the one selected file to standard output (cmd_restore_stream.cpp)
  bool restores_cluster_flags() const {
    return !include_namespaces.empty() || !exclude_namespaces.empty() || !include_resources.empty() ||
           !exclude_resources.empty() || !selector.empty() || !include_cluster_resources.empty() ||
           !namespace_mappings.empty() || !existing_resource_policy.empty() || !resource_modifiers.empty() ||
           !restore_resource_priorities.empty() || !kubeconfig.empty() || !kube_context.empty();
  }
};
int cmd_restore_create(const GlobalOptions& g, const RestoreCreateArgs& a);
int cmd_restore_to_stdout(const GlobalOptions& g, const RestoreCreateArgs& a);
// `name` is the restore's (defaulted) name; `backup` is already loaded from `repo`.
int cmd_restore_create_k8s(const GlobalOptions& g, const RestoreCreateArgs& a, const std::string& name,
                           Repository& repo, const SnapshotManifest& backup);

struct RestoreGetArgs {
  std::vector<std::string> names;
};
int cmd_restore_get(const GlobalOptions& g, const RestoreGetArgs& a);

struct RestoreDescribeArgs {
  std::string name;
  bool details = false;
};
int cmd_restore_describe(const GlobalOptions& g, const RestoreDescribeArgs& a);

struct LocationCreateArgs {
  Location location;  // name, provider and fields from the flags
  std::string provider = "local";
  std::string access_mode = "ReadWrite";
};
int cmd_location_create(const GlobalOptions& g, LocationCreateArgs a);

struct LocationGetArgs {
  std::vector<std::string> names;
};
int cmd_location_get(const GlobalOptions& g, const LocationGetArgs& a);

struct LocationSetArgs {
  std::string name;
  std::string access_mode;  // empty: unchanged
  bool make_default = false;
};
int cmd_location_set(const GlobalOptions& g, const LocationSetArgs& a);
int cmd_location_delete(const GlobalOptions& g, const std::string& name);

struct ScheduleCreateArgs {
  std::string name;
  std::string schedule;  // cron expression
  std::string ttl;
  RetentionPolicy policy;
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::string exclude_marker = ".cairn-exclude";
  std::vector<std::string> labels;
  std::string pg_stanza;  // a PostgreSQL schedule: pg backup of this stanza
  std::string pg_type = "incr";
  int pg_retention_full = 0;
  int pg_retention_diff = 0;
};
int cmd_schedule_create(const GlobalOptions& g, const ScheduleCreateArgs& a);
int cmd_schedule_get(const GlobalOptions& g, const std::vector<std::string>& names);
int cmd_schedule_describe(const GlobalOptions& g, const std::string& name);
int cmd_schedule_pause(const GlobalOptions& g, const std::vector<std::string>& names, bool paused);
int cmd_schedule_delete(const GlobalOptions& g, const std::vector<std::string>& names);

struct ServerArgs {
  std::string metrics_address = "127.0.0.1:8085";
};
int cmd_server(const GlobalOptions& g, const ServerArgs& a);

int cmd_key_add(const GlobalOptions& g);
int cmd_key_list(const GlobalOptions& g);
int cmd_key_remove(const GlobalOptions& g, const std::string& id);

struct PgStanzaArgs {
  std::string name;
  std::string pg_path;
  std::string socket_path;
  std::string host;
  std::string port;
  std::string user;
};
int cmd_pg_stanza_create(const GlobalOptions& g, const PgStanzaArgs& a);

struct PgArchiveArgs {
  std::string stanza;
  std::string file;  // push: the path (%p); get: the file name (%f)
  std::string dest;  // get: where to write it (%p)
};
int cmd_pg_archive_push(const GlobalOptions& g, const PgArchiveArgs& a);
int cmd_pg_archive_get(const GlobalOptions& g, const PgArchiveArgs& a);

struct PgBackupArgs {
  std::string stanza;
  std::string type = "incr";
  int retention_full = 0;  // then pg expire with these; 0: keep all
  int retention_diff = 0;
  double archive_timeout = 60;  // seconds to wait for the stop segment in the archive
};
int cmd_pg_backup(const GlobalOptions& g, const PgBackupArgs& a);

struct PgExpireArgs {
  std::string stanza;
  int retention_full = 0;
  int retention_diff = 0;
  bool dry_run = false;
};
int cmd_pg_expire(const GlobalOptions& g, const PgExpireArgs& a);

struct PgCheckArgs {
  std::string stanza;
  double archive_timeout = 60;  // seconds to wait for the switched segment
};
int cmd_pg_check(const GlobalOptions& g, const PgCheckArgs& a);

struct PgRestoreArgs {
  std::string stanza;
  std::string set;
  std::string pg_path;
  std::string type;
  std::string target;
  std::string target_action;
  std::string target_timeline;
  bool force = false;
  bool delta = false;
};
int cmd_pg_restore(const GlobalOptions& g, const PgRestoreArgs& a);

struct PgInfoArgs {
  std::string stanza;
};
int cmd_pg_info(const GlobalOptions& g, const PgInfoArgs& a);

}  // namespace cairn
