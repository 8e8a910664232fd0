// PostgreSQL against a real PostgreSQL 15 server (Debian `postgresql`),
// started here in a temp folder. The server runs as the `postgres` user and
// calls the real cairn binary as archive_command and restore_command, so
// every cairn command of these tests runs as `postgres` too (runuser).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/tree_compare.h"

namespace cairn {
namespace {

using nlohmann::json;

const std::string kPgBin = "/usr/lib/postgresql/15/bin";

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kPgBin + "/initdb"))
        << "the pg tests need PostgreSQL 15: scripts/install-deps.sh test installs it";
    const passwd* pw = ::getpwnam("postgres");
    ASSERT_NE(pw, nullptr) << "no postgres user";
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    std::ofstream(tmp_.file("pw")) << "correct horse\n";
    std::filesystem::create_directories(tmp_.file("sock"));
    give_to_postgres(tmp_.path());
    ASSERT_EQ(cairn({"repo", "init", "--kdf-memory", "8", "--kdf-iterations", "1"}).exit_code, 0);
  }

  void TearDown() override {
    for (const std::string& dir : started_)
      as_postgres({kPgBin + "/pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop"});
  }

  void give_to_postgres(const std::string& path) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(path))
      ::lchown(e.path().c_str(), uid_, gid_);
    ::chown(path.c_str(), uid_, gid_);
  }

  CommandResult as_postgres(std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> full = {"runuser", "-u", "postgres", "--", "env"};
    for (const auto& [k, v] : env) full.push_back(k + "=" + v);
    full.insert(full.end(), argv.begin(), argv.end());
    return run_command(full, {{"CAIRN_PASSWORD", ""}, {"CAIRN_REPO", ""}});
  }

  std::string cairn_command() const {
    return "env CAIRN_PASSWORD_FILE=" + tmp_.file("pw") + " " + cairn_binary() + " --repo " + repo();
  }

  CommandResult cairn(std::vector<std::string> args) {
    std::vector<std::string> argv = {cairn_binary(), "--no-progress", "--repo", repo()};
    argv.insert(argv.end(), args.begin(), args.end());
    return as_postgres(argv, {{"CAIRN_PASSWORD_FILE", tmp_.file("pw")}});
  }

  std::string repo() const { return tmp_.file("repo"); }

  // initdb into name, archiving into the repository through cairn.
  void init_cluster(const std::string& name, bool archiving = true) {
    const std::string dir = tmp_.file(name);
    CommandResult r =
        as_postgres({kPgBin + "/initdb", "-D", dir, "-A", "trust", "-U", "postgres", "--no-sync"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream conf(dir + "/postgresql.conf", std::ios::app);
    conf << "listen_addresses = ''\nunix_socket_directories = '" << tmp_.file("sock") << "'\nfsync = off\n";
    if (archiving)
      conf << "wal_level = replica\narchive_mode = on\narchive_command = '" << cairn_command()
           << " pg archive-push --stanza main %p'\n";
  }

  void start(const std::string& name, int port) {
    const std::string dir = tmp_.file(name);
    CommandResult r =
        as_postgres({kPgBin + "/pg_ctl", "-D", dir, "-l", dir + ".log", "-o",
                     "-p " + std::to_string(port) + " -k " + tmp_.file("sock"), "-w", "-t", "60", "start"});
    ASSERT_EQ(r.exit_code, 0) << r.err << read_file(dir + ".log");
    started_.push_back(dir);
  }

  void stop(const std::string& name) {
    const std::string dir = tmp_.file(name);
    ASSERT_EQ(as_postgres({kPgBin + "/pg_ctl", "-D", dir, "-w", "stop"}).exit_code, 0);
    started_.erase(std::remove(started_.begin(), started_.end(), dir), started_.end());
  }

  std::string sql(int port, const std::string& query) {
    CommandResult r = as_postgres(
        {"psql", "-h", tmp_.file("sock"), "-p", std::to_string(port), "-U", "postgres", "-Atq", "-c", query});
    EXPECT_EQ(r.exit_code, 0) << query << ": " << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // The segment switched away from last must be archived before the
  // primary goes away, or the restore has nothing to replay.
  void wait_until_archived(int port) {
    for (int i = 0; i < 100 && sql(port,
                                   "select last_failed_wal is null and archived_count >= 2 from "
                                   "pg_stat_archiver") != "t";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Waits until PostgreSQL reports segment archived (archive_command returned 0).
  void wait_for_archived(int port, const std::string& segment) {
    for (int i = 0;
         i < 150 && sql(port, "select coalesce(last_archived_wal, '') from pg_stat_archiver") < segment; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Waits until the archiver of the cluster in DIR has nothing left to push
  // (no .ready file in archive_status): a backup's history file, say, is
  // archived after `pg backup` returns, and a slow (sanitizer) build can
  // still be pushing it when the next step looks at the archive.
  void wait_for_archive_quiet(const std::string& dir) {
    const std::string status = tmp_.file(dir + "/pg_wal/archive_status");
    for (int i = 0; i < 300; ++i) {
      bool ready = false;
      for (const auto& e : std::filesystem::directory_iterator(status))
        if (e.path().extension() == ".ready") ready = true;
      if (!ready) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the archiver of " << dir << " still has .ready files after 30 s";
  }

  // The object files of the repository's archive records.
  std::set<std::string> archive_objects() {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(repo() + "/archive"))
      if (e.is_regular_file()) out.insert(e.path().string());
    return out;
  }

  // Waits for a restored cluster to finish recovery and promote.
  void wait_until_promoted(int port) {
    for (int i = 0; i < 100 && sql(port, "select pg_is_in_recovery()") != "f"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void create_stanza(int port) {
    CommandResult r = cairn({"pg", "stanza", "create", "main", "--pg-path", tmp_.file("data"),
                             "--pg-socket-path", tmp_.file("sock"), "--pg-port", std::to_string(port)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // An empty folder postgres owns, mode 0700 (PostgreSQL insists).
  std::string fresh_dir(const std::string& name) {
    const std::string dir = tmp_.file(name);
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    ::chown(dir.c_str(), uid_, gid_);
    return dir;
  }

  TempDir tmp_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::vector<std::string> started_;
};

TEST_F(PgTest, PointInTimeRestoreKeepsWhatCameBeforeTheTargetAndNothingAfter) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t(x text)");
  CommandResult b = cairn({"pg", "backup", "--stanza", "main", "--type", "full"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  sql(5432, "insert into t values ('A')");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string between = sql(5432, "select now()");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sql(5432, "insert into t values ('B')");
  sql(5432, "select pg_switch_wal()");
  wait_until_archived(5432);
  stop("data");

  const std::string restored = fresh_dir("restored");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--pg-path", restored, "--type", "time",
                           "--target", between, "--target-action", "promote"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start("restored", 5433);
  wait_until_promoted(5433);
  EXPECT_EQ(sql(5433, "select string_agg(x, ',' order by x) from t"), "A");

  CommandResult info = cairn({"pg", "info", "--stanza", "main", "-o", "json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const json j = json::parse(info.out);
  ASSERT_EQ(j.at("backups").size(), 1u);
  EXPECT_EQ(j.at("backups")[0].at("type"), "full");
  EXPECT_EQ(j.at("backups")[0].at("status"), "Completed");
  EXPECT_GE(j.at("archive").at("files").get<int>(), 3);
}

TEST_F(PgTest, RestoreToARestorePointOrAnLsnStopsBeforeWhatFollowed) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t(x text)");
  ASSERT_EQ(cairn({"pg", "backup", "--stanza", "main", "--type", "full"}).exit_code, 0);
  sql(5432, "insert into t values ('A')");
  sql(5432, "select pg_create_restore_point('before-b')");
  const std::string lsn = sql(5432, "select pg_current_wal_insert_lsn()");
  sql(5432, "insert into t values ('B')");
  sql(5432, "select pg_switch_wal()");
  wait_until_archived(5432);
  stop("data");

  int port = 5433;
  for (const auto& [type, target] :
       std::vector<std::pair<std::string, std::string>>{{"name", "before-b"}, {"lsn", lsn}}) {
    const std::string name = "restored-" + type;
    const std::string dir = fresh_dir(name);
    CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--pg-path", dir, "--type", type,
                             "--target", target, "--target-action", "promote"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    start(name, port);
    wait_until_promoted(port);
    EXPECT_EQ(sql(port, "select string_agg(x, ',' order by x) from t"), "A") << type;
    stop(name);
    ++port;
  }
}

TEST_F(PgTest, IncrementalCapturesARewriteThatKeptSizeAndMtime) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  // A file PostgreSQL leaves alone, rewritten below the way a page write
  // within the same second looks: same size, same mtime.
  const std::string probe = tmp_.file("data/cairn-probe");
  const std::string before = random_bytes(1 << 20, 1);
  std::ofstream(probe, std::ios::binary) << before;
  give_to_postgres(tmp_.file("data"));
  ASSERT_EQ(cairn({"pg", "backup", "--stanza", "main", "--type", "full"}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(probe.c_str(), &st), 0);
  std::string after = before;
  after[4096] ^= 0x5a;
  {
    std::fstream f(probe, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    f.put(after[4096]);
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, probe.c_str(), times, 0), 0);
  CommandResult incr = cairn({"pg", "backup", "--stanza", "main", "--type", "incr", "-o", "json"});
  ASSERT_EQ(incr.exit_code, 0) << incr.err;
  const json m = json::parse(incr.out);
  const std::string label = m.at("name");
  EXPECT_EQ(label.back(), 'I');
  // Only what changed was read: the probe, and what the server touched.
  EXPECT_LT(m.at("stats").at("bytes_read").get<uint64_t>(), m.at("stats").at("bytes").get<uint64_t>() / 2);
  stop("data");

  const std::string restored = fresh_dir("restored");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--set", label, "--pg-path", restored});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_file(restored + "/cairn-probe") == after) << "the restored probe is not the rewritten one";
}

TEST_F(PgTest, ArchivePushIsIdempotentAndRefusesDifferentBytesUnderAnArchivedName) {
  init_cluster("data", false);
  create_stanza(5432);
  const std::string segment = tmp_.file("000000010000000000000009");
  std::ofstream(segment, std::ios::binary) << random_bytes(256 << 10, 7);
  give_to_postgres(tmp_.path());
  EXPECT_EQ(cairn({"pg", "archive-push", "--stanza", "main", segment}).exit_code, 0);
  EXPECT_EQ(cairn({"pg", "archive-push", "--stanza", "main", segment}).exit_code, 0);  // the same again: fine
  std::ofstream(segment, std::ios::binary) << random_bytes(256 << 10, 8);
  CommandResult conflict = cairn({"pg", "archive-push", "--stanza", "main", segment});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_NE(conflict.err.find("different contents"), std::string::npos) << conflict.err;
  // What was archived first is what comes back, also after a prune (WAL
  // files are in no backup, yet live).
  CommandResult prune = cairn({"repo", "prune"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  const std::string back = tmp_.file("back");
  CommandResult get = cairn({"pg", "archive-get", "--stanza", "main", "000000010000000000000009", back});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(read_file(back) == random_bytes(256 << 10, 7)) << "archive-get returned other bytes";
  // A segment whose long page header names another cluster is refused.
  std::string foreign(64 << 10, '\0');
  const uint16_t magic = 0xD110, info = 0x0002;
  const uint64_t sysid = 12345;
  const uint32_t seg_size = 64 << 10;
  std::memcpy(foreign.data(), &magic, 2);
  std::memcpy(foreign.data() + 2, &info, 2);
  std::memcpy(foreign.data() + 24, &sysid, 8);
  std::memcpy(foreign.data() + 32, &seg_size, 4);
  const std::string foreign_path = tmp_.file("00000001000000000000000A");
  std::ofstream(foreign_path, std::ios::binary) << foreign;
  give_to_postgres(tmp_.path());
  CommandResult other = cairn({"pg", "archive-push", "--stanza", "main", foreign_path});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("belongs to another cluster"), std::string::npos) << other.err;
  // A file never archived: exit 1, which PostgreSQL reads as "not there".
  EXPECT_EQ(cairn({"pg", "archive-get", "--stanza", "main", "00000002.history", back + "2"}).exit_code, 1);
}

TEST_F(PgTest, ArchivePushToAnUnreachableRepositoryFailsSoPostgresRetries) {
  init_cluster("data", false);
  create_stanza(5432);
  const std::string segment = tmp_.file("000000010000000000000001");
  std::ofstream(segment, std::ios::binary) << random_bytes(4096, 1);
  give_to_postgres(tmp_.path());
  CommandResult r = as_postgres(
      {cairn_binary(), "--repo", tmp_.file("gone"), "pg", "archive-push", "--stanza", "main", segment},
      {{"CAIRN_PASSWORD_FILE", tmp_.file("pw")}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

TEST_F(PgTest, BackupWithoutArchivingAndRestoreOverARunningClusterAreRefusedPlainly) {
  init_cluster("data", false);
  start("data", 5432);
  create_stanza(5432);
  CommandResult b = cairn({"pg", "backup", "--stanza", "main"});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("archive_mode is off"), std::string::npos) << b.err;
  CommandResult r = cairn({"pg", "restore", "--stanza", "main"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("PostgreSQL is running in"), std::string::npos) << r.err;
}

TEST_F(PgTest, BackupWhoseWalNeverReachesTheArchiveFailsAfterTheTimeoutAndSavesNothing) {
  init_cluster("data", false);
  std::ofstream(tmp_.file("data") + "/postgresql.conf", std::ios::app)
      << "wal_level = replica\narchive_mode = on\narchive_command = '/bin/false'\n";
  start("data", 5432);
  create_stanza(5432);
  const auto started = std::chrono::steady_clock::now();
  CommandResult b = cairn({"pg", "backup", "--stanza", "main", "--archive-timeout", "2"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("did not reach the archive of stanza main within 2 seconds"), std::string::npos)
      << b.err;
  EXPECT_LT(seconds, 30) << "the timeout was not honoured";
  CommandResult info = cairn({"pg", "info", "--stanza", "main", "-o", "json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_TRUE(json::parse(info.out).at("backups").empty()) << "a backup was saved: " << info.out;
}

TEST_F(PgTest, DeltaRestoreFetchesOnlyTheDamagedChunksAndTheClusterStartsWithTheSameData) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t as select g, md5(g::text) as h from generate_series(1, 200000) g");
  sql(5432, "create table u as select g, md5(g::text) as h from generate_series(1, 10000) g");
  sql(5432, "checkpoint");
  const std::string t_file = sql(5432, "select pg_relation_filepath('t')");
  const std::string u_file = sql(5432, "select pg_relation_filepath('u')");
  const std::string t_sum = sql(5432, "select md5(string_agg(h, ',' order by g)) from t");
  const std::string u_sum = sql(5432, "select md5(string_agg(h, ',' order by g)) from u");
  CommandResult b = cairn({"pg", "backup", "--stanza", "main", "--type", "full"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  sql(5432, "select pg_switch_wal()");
  wait_until_archived(5432);
  stop("data");

  const std::string restored = fresh_dir("restored");
  CommandResult first = cairn({"pg", "restore", "--stanza", "main", "--pg-path", restored, "-o", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const uint64_t total = json::parse(first.out).at("bytes_fetched").get<uint64_t>();

  // Damage: 8 KiB overwritten in the middle of t, u deleted, a stray file added.
  const std::string t_path = restored + "/" + t_file;
  const uint64_t t_size = std::filesystem::file_size(t_path);
  const uint64_t u_size = std::filesystem::file_size(restored + "/" + u_file);
  ASSERT_GT(t_size, 8u << 20);
  {
    std::fstream f(t_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(t_size / 2));
    f << random_bytes(8192, 3);
  }
  std::filesystem::remove(restored + "/" + u_file);
  std::ofstream(restored + "/stray-file") << "not in the backup\n";
  give_to_postgres(restored);

  CommandResult refused = cairn({"pg", "restore", "--stanza", "main", "--pg-path", restored});
  EXPECT_EQ(refused.exit_code, 2);  // invalid argument
  EXPECT_NE(refused.err.find("is not empty; pass --delta"), std::string::npos) << refused.err;

  CommandResult delta =
      cairn({"pg", "restore", "--stanza", "main", "--pg-path", restored, "--delta", "-o", "json"});
  ASSERT_EQ(delta.exit_code, 0) << delta.err;
  const json d = json::parse(delta.out);
  const uint64_t fetched = d.at("bytes_fetched").get<uint64_t>();
  // u whole, the chunks (at most 2 MiB each, two if the damage straddles
  // a boundary) around the damage in t, and the small file the first
  // restore appended to (postgresql.auto.conf).
  EXPECT_GE(fetched, u_size);
  EXPECT_LE(fetched, u_size + (4u << 20) + (64u << 10)) << delta.out;
  EXPECT_LT(fetched, t_size + u_size);
  EXPECT_LT(fetched * 4, total) << "a delta restore should fetch far less than a full one";
  EXPECT_GE(d.at("files_removed").get<uint64_t>(), 1u);
  EXPECT_GE(d.at("files_patched").get<uint64_t>(), 1u);
  EXPECT_FALSE(std::filesystem::exists(restored + "/stray-file"));

  start("restored", 5433);
  wait_until_promoted(5433);
  EXPECT_EQ(sql(5433, "select md5(string_agg(h, ',' order by g)) from t"), t_sum);
  EXPECT_EQ(sql(5433, "select md5(string_agg(h, ',' order by g)) from u"), u_sum);

  // A running cluster is never overwritten, not even with --delta.
  CommandResult running = cairn({"pg", "restore", "--stanza", "main", "--pg-path", restored, "--delta"});
  EXPECT_EQ(running.exit_code, 1);
  EXPECT_NE(running.err.find("PostgreSQL is running in"), std::string::npos) << running.err;
}

TEST_F(PgTest, RetentionRemovesOldFullsAndDiffsWithTheirDependentsAndTheWalBeforeTheOldestKept) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t(x int)");
  std::vector<std::string> labels;
  int row = 0;
  auto backup = [&](const std::string& type, std::vector<std::string> extra = {}) {
    sql(5432, "insert into t values (" + std::to_string(++row) + ")");
    sql(5432, "select pg_switch_wal()");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // labels have one-second resolution
    std::vector<std::string> args = {"pg", "backup", "--stanza", "main", "--type", type, "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult b = cairn(args);
    EXPECT_EQ(b.exit_code, 0) << b.err;
    const json j = json::parse(b.out);
    labels.push_back(j.at("name"));
    return j;
  };
  auto info = [&] {
    CommandResult r = cairn({"pg", "info", "--stanza", "main", "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  auto kept = [&] {
    std::vector<std::string> out;
    const json j = info();  // kept alive: the loop walks into it
    for (const json& b : j.at("backups")) out.push_back(b.at("label"));
    return out;
  };
  for (const char* type : {"full", "diff", "incr", "full", "diff", "incr", "diff"}) backup(type);
  ASSERT_EQ(labels.size(), 7u);
  const std::vector<std::string> all = labels;
  const std::string f1 = all[0], d1 = all[1], i1 = all[2], f2 = all[3], d2 = all[4], i2 = all[5], d3 = all[6];

  CommandResult dry =
      cairn({"pg", "expire", "--stanza", "main", "--retention-diff", "1", "--dry-run", "-o", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out).at("backups_removed"), json({d1, i1, d2, i2}));
  EXPECT_EQ(kept(), all) << "a dry run removes nothing";

  const std::string archive_min_before = info().at("archive").at("min");
  CommandResult full = cairn({"pg", "expire", "--stanza", "main", "--retention-full", "1"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("'cairn repo prune' reclaims their space"), std::string::npos) << full.out;
  EXPECT_EQ(kept(), std::vector<std::string>({f2, d2, i2, d3}));
  const json after_full = info();
  const std::string f2_start = after_full.at("backups")[0].at("wal_start");
  const std::string archive_min = after_full.at("archive").at("min");
  EXPECT_LT(archive_min_before, archive_min);
  EXPECT_EQ(archive_min.substr(8), f2_start.substr(8)) << "WAL from the oldest kept backup's start stays";

  // --retention-diff on backup: the new diff stays, older diffs go with their incrs.
  const json d4 = backup("diff", {"--retention-diff", "1"});
  EXPECT_EQ(d4.at("expire").at("backups_removed"), json({d2, i2, d3}));
  EXPECT_EQ(kept(), std::vector<std::string>({f2, labels.back()}));

  // What is left restores and replays after a prune.
  ASSERT_EQ(cairn({"repo", "prune"}).exit_code, 0);
  stop("data");
  const std::string restored = fresh_dir("restored");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--set", labels.back(), "--pg-path", restored,
                           "--type", "immediate", "--target-action", "promote"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start("restored", 5433);
  wait_until_promoted(5433);
  EXPECT_EQ(sql(5433, "select count(*) from t"), std::to_string(row));
}

TEST_F(PgTest, CheckWaitsForTheSwitchedSegmentAndFailsPlainlyWhenArchivingDoesNotWork) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  CommandResult ok = cairn({"pg", "check", "--stanza", "main", "-o", "json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const std::string segment = json::parse(ok.out).at("segment");
  const std::string back = tmp_.file("back");
  EXPECT_EQ(cairn({"pg", "archive-get", "--stanza", "main", segment, back}).exit_code, 0)
      << "the segment check waited for is in the archive";

  // archive_command fails: check gives up after --archive-timeout, plainly.
  init_cluster("failing", false);
  std::ofstream(tmp_.file("failing/postgresql.conf"), std::ios::app)
      << "archive_mode = on\narchive_command = 'false'\n";
  start("failing", 5433);
  ASSERT_EQ(cairn({"pg", "stanza", "create", "failing", "--pg-path", tmp_.file("failing"), "--pg-socket-path",
                   tmp_.file("sock"), "--pg-port", "5433"})
                .exit_code,
            0);
  CommandResult failing = cairn({"pg", "check", "--stanza", "failing", "--archive-timeout", "3"});
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_NE(failing.err.find("did not reach the archive of stanza failing within 3 seconds"),
            std::string::npos)
      << failing.err;
  EXPECT_NE(failing.err.find("last failed archive_command"), std::string::npos) << failing.err;

  // archive_mode off: said so, without waiting.
  init_cluster("off", false);
  start("off", 5434);
  ASSERT_EQ(cairn({"pg", "stanza", "create", "off", "--pg-path", tmp_.file("off"), "--pg-socket-path",
                   tmp_.file("sock"), "--pg-port", "5434"})
                .exit_code,
            0);
  CommandResult off = cairn({"pg", "check", "--stanza", "off"});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.err.find("archive_mode is off"), std::string::npos) << off.err;
}

TEST_F(PgTest, AMissingWalSegmentIsReportedAndARestorePastItIsRefusedUpFront) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t(x text)");
  ASSERT_EQ(cairn({"pg", "backup", "--stanza", "main", "--type", "full"}).exit_code, 0);
  sql(5432, "insert into t values ('A')");
  ASSERT_NO_FATAL_FAILURE(wait_for_archive_quiet("data"));
  const std::set<std::string> before = archive_objects();
  const std::string lost = sql(5432, "select pg_walfile_name(pg_switch_wal())");
  wait_for_archived(5432, lost);
  std::set<std::string> added;
  for (const std::string& o : archive_objects())
    if (!before.count(o)) added.insert(o);
  ASSERT_EQ(added.size(), 1u) << "one archive record for segment " << lost;
  sql(5432, "insert into t values ('B')");
  wait_for_archived(5432, sql(5432, "select pg_walfile_name(pg_switch_wal())"));
  std::filesystem::remove(*added.begin());  // the segment is lost from the repository

  CommandResult info = cairn({"pg", "info", "--stanza", "main", "-o", "json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(json::parse(info.out).at("archive").at("missing"), json({lost}));
  CommandResult text = cairn({"pg", "info", "--stanza", "main"});
  EXPECT_NE(text.out.find("1 WAL segments missing (" + lost + ")"), std::string::npos) << text.out;
  CommandResult check = cairn({"pg", "check", "--stanza", "main"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.err.find("is missing 1 WAL segment (" + lost + ")"), std::string::npos) << check.err;

  // A backup whose WAL never reached the archive (an archive_command that
  // only pretends) is not saved as Completed.
  sql(5432, "alter system set archive_command = 'true'");
  sql(5432, "select pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CommandResult lying =
      cairn({"pg", "backup", "--stanza", "main", "--type", "full", "--archive-timeout", "2"});
  EXPECT_EQ(lying.exit_code, 1);
  EXPECT_NE(lying.err.find("did not reach the archive of stanza main within 2 seconds"), std::string::npos)
      << lying.err;
  CommandResult after = cairn({"pg", "info", "--stanza", "main", "-o", "json"});
  EXPECT_EQ(json::parse(after.out).at("backups").size(), 1u);
  stop("data");

  // Past the gap: refused before anything is written. Up to consistency: fine.
  const std::string dir = fresh_dir("restored");
  CommandResult past = cairn({"pg", "restore", "--stanza", "main", "--pg-path", dir});
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_NE(past.err.find("WAL segment " + lost + " is missing from the archive of stanza main"),
            std::string::npos)
      << past.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  EXPECT_EQ(cairn({"pg", "archive-get", "--stanza", "main", lost, tmp_.file("lost")}).exit_code, 1);
  CommandResult immediate = cairn({"pg", "restore", "--stanza", "main", "--pg-path", dir, "--type",
                                   "immediate", "--target-action", "promote"});
  ASSERT_EQ(immediate.exit_code, 0) << immediate.err;
  start("restored", 5433);
  wait_until_promoted(5433);
  EXPECT_EQ(sql(5433, "select count(*) from t"), "0");
}

TEST_F(PgTest, RestoreFollowsANewTimelineAfterAPromotionToATargetOnIt) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  sql(5432, "create table t(x text)");
  ASSERT_EQ(cairn({"pg", "backup", "--stanza", "main", "--type", "full"}).exit_code, 0);
  sql(5432, "insert into t values ('A')");
  wait_for_archived(5432, sql(5432, "select pg_walfile_name(pg_switch_wal())"));
  stop("data");

  // The clone promotes to timeline 2 and archives there (history file too).
  const std::string first = fresh_dir("first");
  ASSERT_EQ(cairn({"pg", "restore", "--stanza", "main", "--pg-path", first}).exit_code, 0);
  start("first", 5433);
  wait_until_promoted(5433);
  ASSERT_EQ(sql(5433, "select timeline_id from pg_control_checkpoint()"), "2");
  sql(5433, "insert into t values ('B')");
  const std::string after_b = sql(5433, "select pg_current_wal_insert_lsn()");
  sql(5433, "insert into t values ('C')");
  wait_for_archived(5433, sql(5433, "select pg_walfile_name(pg_switch_wal())"));
  stop("first");
  const json info = json::parse(cairn({"pg", "info", "--stanza", "main", "-o", "json"}).out);
  EXPECT_EQ(info.at("archive").at("max").get<std::string>().substr(0, 8), "00000002");
  const std::string history = tmp_.file("history");
  EXPECT_EQ(cairn({"pg", "archive-get", "--stanza", "main", "00000002.history", history}).exit_code, 0)
      << "the promotion's history file is archived";

  // From the timeline-1 backup, along timeline 2, to a point between B and C.
  const std::string second = fresh_dir("second");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--pg-path", second, "--type", "lsn",
                           "--target", after_b, "--target-timeline", "latest", "--target-action", "promote"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start("second", 5434);
  wait_until_promoted(5434);
  EXPECT_EQ(sql(5434, "select string_agg(x, ',' order by x) from t"), "A,B");
}

TEST_F(PgTest, BackupWhilePgbenchWritesRestoresToTheSameTableContents) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  const std::vector<std::string> pgbench = {kPgBin + "/pgbench", "-h", tmp_.file("sock"), "-p", "5432", "-U",
                                            "postgres"};
  std::vector<std::string> init = pgbench;
  init.insert(init.end(), {"-i", "-s", "2", "-q", "postgres"});
  CommandResult i = as_postgres(init);
  ASSERT_EQ(i.exit_code, 0) << i.err;
  std::vector<std::string> run = pgbench;
  run.insert(run.end(), {"-c", "2", "-T", "10", "postgres"});
  CommandResult bench;
  std::thread writer([&] { bench = as_postgres(run); });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CommandResult b = cairn({"pg", "backup", "--stanza", "main", "--type", "full"});
  writer.join();
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  ASSERT_NE(bench.out.find("number of transactions actually processed"), std::string::npos) << bench.out;

  // Checksums of every pgbench table at a restore point after the writes.
  const std::vector<std::string> sums = {
      "select md5(string_agg(t::text, ',' order by aid)) from pgbench_accounts t",
      "select md5(string_agg(t::text, ',' order by bid)) from pgbench_branches t",
      "select md5(string_agg(t::text, ',' order by tid)) from pgbench_tellers t",
      "select md5(string_agg(t::text, ',' order by t::text)) from pgbench_history t",
      "select count(*) from pgbench_history"};
  std::vector<std::string> source;
  for (const std::string& q : sums) source.push_back(sql(5432, q));
  EXPECT_NE(source.back(), "0") << "pgbench wrote history rows";
  sql(5432, "select pg_create_restore_point('after-bench')");
  wait_for_archived(5432, sql(5432, "select pg_walfile_name(pg_switch_wal())"));
  stop("data");

  const std::string dir = fresh_dir("restored");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--pg-path", dir, "--type", "name",
                           "--target", "after-bench", "--target-action", "promote"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start("restored", 5433);
  wait_until_promoted(5433);
  for (size_t k = 0; k < sums.size(); ++k) EXPECT_EQ(sql(5433, sums[k]), source[k]) << sums[k];
  CommandResult amcheck = as_postgres({kPgBin + "/pg_amcheck", "-h", tmp_.file("sock"), "-p", "5433", "-U",
                                       "postgres", "--install-missing", "postgres"});
  EXPECT_EQ(amcheck.exit_code, 0) << amcheck.out << amcheck.err;
}

// Scattered updates touch a page here and there of a table far larger than
// them: every chunk of its file changes, in a few bytes each. The
// incremental stores those bytes (deltas against the full backup's chunks),
// not the table again, and restores to the same contents.
TEST_F(PgTest, IncrementalAfterScatteredUpdatesStoresATinyFractionOfTheTableAndRestoresIt) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  // ~27 MB of hex (compresses about 2:1, unlike a padded pgbench table).
  sql(5432,
      "create table t as select g as id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) as pad "
      "from generate_series(1, 200000) g");
  // As pgbench -i does: a table read once has its hint bits set in every
  // tuple, which would otherwise change every page after the full backup.
  sql(5432, "vacuum freeze t");
  sql(5432, "checkpoint");
  const uint64_t table_bytes = std::stoull(sql(5432, "select pg_relation_size('t')"));
  CommandResult full = cairn({"pg", "backup", "--stanza", "main", "--type", "full", "-o", "json"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // One row in 500, spread over the whole table: most chunks of its file change.
  sql(5432, "update t set pad = upper(pad) where id % 500 = 0");
  sql(5432, "checkpoint");
  const std::string sum_query = "select md5(string_agg(t::text, ',' order by id)) from t";
  const std::string expected = sql(5432, sum_query);
  CommandResult incr = cairn({"pg", "backup", "--stanza", "main", "--type", "incr", "-o", "json"});
  ASSERT_EQ(incr.exit_code, 0) << incr.err;
  const json m = json::parse(incr.out);
  const uint64_t added = m.at("stats").at("bytes_added").get<uint64_t>();
  EXPECT_GT(m.at("stats").at("bytes_read").get<uint64_t>(), table_bytes) << "the table file was read again";
  // The table's file compressed whole would be about table_bytes / 2.
  EXPECT_LT(added, table_bytes / 40) << "stored " << added << " bytes for a " << table_bytes << "-byte table";
  stop("data");

  const std::string dir = fresh_dir("restored");
  CommandResult r = cairn({"pg", "restore", "--stanza", "main", "--pg-path", dir, "--set", m.at("name"),
                           "--type", "immediate", "--target-action", "promote"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start("restored", 5433);
  wait_until_promoted(5433);
  EXPECT_EQ(sql(5433, sum_query), expected);
}

TEST_F(PgTest, AScheduleRunsPgBackupsWithTheirRetentionFromTheServer) {
  init_cluster("data");
  start("data", 5432);
  create_stanza(5432);
  const std::string config = tmp_.file("config");
  std::filesystem::create_directories(config);
  give_to_postgres(config);
  const std::map<std::string, std::string> env = {{"CAIRN_PASSWORD_FILE", tmp_.file("pw")},
                                                  {"CAIRN_CONFIG_DIR", config}};
  CommandResult bad =
      as_postgres({cairn_binary(), "--repo", repo(), "schedule", "create", "both", "--schedule", "@daily",
                   "--pg-stanza", "main", "--path", tmp_.file("data")},
                  env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("either --path folders or a --pg-stanza"), std::string::npos) << bad.err;
  CommandResult created =
      as_postgres({cairn_binary(), "--repo", repo(), "schedule", "create", "pg-nightly", "--schedule",
                   "*/3 * * * * *", "--pg-stanza", "main", "--pg-type", "full", "--pg-retention-full", "1"},
                  env);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  CommandResult by_hand = as_postgres(
      {cairn_binary(), "--repo", repo(), "backup", "create", "--from-schedule", "pg-nightly"}, env);
  EXPECT_EQ(by_hand.exit_code, 2);
  EXPECT_NE(by_hand.err.find("run 'cairn pg backup --stanza main'"), std::string::npos) << by_hand.err;
  // The server runs for 10 seconds: backups every 3 seconds, each keeping only the newest full.
  CommandResult server = as_postgres(
      {"timeout", "-s", "TERM", "10", cairn_binary(), "server", "--metrics-address", "127.0.0.1:0"}, env);
  EXPECT_NE(server.err.find("schedule pg-nightly: pg backup "), std::string::npos) << server.err;
  size_t runs = 0;
  for (size_t at = 0; (at = server.err.find(": pg backup ", at)) != std::string::npos; ++at) ++runs;
  EXPECT_GE(runs, 2u) << server.err;

  const json info = json::parse(cairn({"pg", "info", "--stanza", "main", "-o", "json"}).out);
  ASSERT_EQ(info.at("backups").size(), 1u) << "--pg-retention-full 1 keeps one full";
  EXPECT_EQ(info.at("backups")[0].at("type"), "full");
  EXPECT_EQ(info.at("backups")[0].at("status"), "Completed");
  CommandResult get = as_postgres({cairn_binary(), "schedule", "get", "pg-nightly", "-o", "json"}, env);
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_NE(get.out.find("\"pg_stanza\":\"main\""), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("Completed"), std::string::npos) << get.out;
}

}  // namespace
}  // namespace cairn
