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

}  // namespace
}  // namespace cairn
