// A logical dump through a stream backup: pg_dump -Fc of a real PostgreSQL
// 15 server (Debian `postgresql`, started here in a temp folder) into
// cairn, and back out with --to-stdout into pg_restore.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_fixture.h"

namespace cairn {
namespace {

const std::string kPgBin = "/usr/lib/postgresql/15/bin";
// The server listens only on a Unix socket in the test's own folder, so
// the port number cannot clash with another server on the machine.
const std::string kPort = "5432";

class PgDumpStreamTest : public CliTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kPgBin + "/initdb"))
        << "these tests need PostgreSQL 15: scripts/install-deps.sh test installs it";
    const passwd* pw = ::getpwnam("postgres");
    ASSERT_NE(pw, nullptr) << "no postgres user";
    init_repository();
    data_ = tmp_.file("data");
    sock_ = tmp_.file("sock");
    std::filesystem::create_directories(sock_);
    ::chown(tmp_.path().c_str(), pw->pw_uid, pw->pw_gid);
    ::chown(sock_.c_str(), pw->pw_uid, pw->pw_gid);
    CommandResult r =
        as_postgres({kPgBin + "/initdb", "-D", data_, "-A", "trust", "-U", "postgres", "--no-sync"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(data_ + "/postgresql.conf", std::ios::app)
        << "listen_addresses = ''\nunix_socket_directories = '" << sock_ << "'\nfsync = off\n";
    r = as_postgres({kPgBin + "/pg_ctl", "-D", data_, "-l", data_ + ".log", "-o", "-p " + kPort, "-w", "-t",
                     "60", "start"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    started_ = true;
  }

  void TearDown() override {
    if (started_) as_postgres({kPgBin + "/pg_ctl", "-D", data_, "-m", "immediate", "-w", "stop"});
  }

  static CommandResult as_postgres(const std::vector<std::string>& argv) {
    std::vector<std::string> full = {"runuser", "-u", "postgres", "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return run_command(full);
  }

  std::string connection() const { return "-h " + sock_ + " -p " + kPort + " -U postgres"; }

  std::string sql(const std::string& db, const std::string& query) {
    CommandResult r = run_command({"psql", "-h", sock_, "-p", kPort, "-U", "postgres", "-d", db, "-Atq", "-v",
                                   "ON_ERROR_STOP=1", "-c", query});
    EXPECT_EQ(r.exit_code, 0) << query << ": " << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  CommandResult shell(const std::string& script) {
    return run_command(
        {"sh", "-c", script},
        {{"CAIRN_PASSWORD", "correct horse"}, {"CAIRN_PASSWORD_FILE", ""}, {"CAIRN_REPO", ""}});
  }

  std::string data_, sock_;
  bool started_ = false;
};

TEST_F(PgDumpStreamTest, PgDumpThroughAStreamBackupRestoresIntoANewDatabase) {
  sql("postgres", "create database shop");
  sql("shop",
      "create table orders(id int primary key, customer text, total numeric, placed timestamptz); "
      "insert into orders select i, 'customer ' || (i % 977), i * 1.25, "
      "'2026-01-01'::timestamptz + i * interval '1 minute' from generate_series(1, 200000) i; "
      "create index on orders(customer); "
      "create table notes(body text); insert into notes values ('it''s a ''quoted'' note'), (null)");
  const std::string checksum =
      "select md5(string_agg(o::text, '|' order by id)) || (select count(*) from notes) from orders o";
  const std::string want = sql("shop", checksum);

  CommandResult b = cairn({"backup", "create", "shop-dump", "--stdin-from",
                           "pg_dump -Fc " + connection() + " shop", "--stdin-filename", "shop.dump"});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  sql("postgres", "create database shop_copy");
  CommandResult r = shell("set -e; " + cairn_binary() + " --repo " + repo() +
                          " --no-progress restore create --from-backup shop-dump --to-stdout | pg_restore "
                          "--exit-on-error " +
                          connection() + " -d shop_copy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sql("shop_copy", checksum), want);
  EXPECT_EQ(sql("shop_copy", "select count(*) from pg_indexes where tablename = 'orders'"), "2");
}

TEST_F(PgDumpStreamTest, PgDumpOfAMissingDatabaseFailsTheBackupWithItsMessage) {
  CommandResult b =
      cairn({"backup", "create", "nothing", "--stdin-from", "pg_dump -Fc " + connection() + " no_such_db"});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("exited with status 1"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("\"no_such_db\" does not exist"), std::string::npos) << b.err;
  EXPECT_NE(cairn({"backup", "get", "nothing"}).exit_code, 0);
}

}  // namespace
}  // namespace cairn
