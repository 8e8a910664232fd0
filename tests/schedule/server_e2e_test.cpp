// The real `cairn server` end to end: a 6-field schedule firing every 2
// seconds makes backups, /metrics agrees with `backup get`, and SIGTERM
// ends the server cleanly with exit code 0.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/location_fixture.h"

extern char** environ;

namespace cairn {
namespace {

using nlohmann::json;

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// GET path from 127.0.0.1:port; the body, or "" when the server is not there.
std::string http_get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// The value of one sample line "name{schedule="fast"} value"; -1 if absent.
double metric(const std::string& text, const std::string& name) {
  std::string key = name + "{schedule=\"fast\"} ";
  size_t at = text.find("\n" + key);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + 1 + key.size()));
}

class ServerE2eTest : public LocationCliTest {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void start_server(int port) {
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
      std::string v = *e;
      if (v.rfind("CAIRN_", 0) != 0) env_s.push_back(v);
    }
    env_s.push_back("CAIRN_PASSWORD=correct horse");
    env_s.push_back("CAIRN_CONFIG_DIR=" + config_dir());
    std::vector<std::string> argv_s = {cairn_binary(), "server", "--metrics-address",
                                       "127.0.0.1:" + std::to_string(port)};
    std::vector<char*> argv, envp;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s) envp.push_back(s.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, tmp_.file("server.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
  }

  std::string server_log() {
    CommandResult r = run_command({"cat", tmp_.file("server.log")});
    return r.out;
  }

  // Completed backups of schedule fast, newest first.
  json fast_backups() {
    CommandResult g = at({"backup", "get", "-l", "cairn.io/schedule-name=fast", "-o", "json"});
    EXPECT_EQ(g.exit_code, 0) << g.err;
    return json::parse(g.out)["items"];
  }

  pid_t pid_ = -1;
};

TEST_F(ServerE2eTest, SixFieldScheduleEveryTwoSecondsMetricsMatchBackupGetAndSigtermExitsZero) {
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  ASSERT_EQ(at({"schedule", "create", "fast", "--schedule", "*/2 * * * * *", "--path", src_}).exit_code, 0);
  int port = free_port();
  start_server(port);
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (http_get(port, "/healthz") != "ok\n" && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(http_get(port, "/healthz"), "ok\n") << server_log();

  // A second server on the same schedules is refused (it would run each twice).
  CommandResult second = run_command(
      {"timeout", "10", cairn_binary(), "server", "--metrics-address",
       "127.0.0.1:" + std::to_string(free_port())},
      {{"CAIRN_PASSWORD", "correct horse"}, {"CAIRN_PASSWORD_FILE", ""}, {"CAIRN_CONFIG_DIR", config_dir()}});
  EXPECT_EQ(second.exit_code, 11) << second.err;
  EXPECT_TRUE(is_one_plain_sentence(second.err)) << second.err;

  deadline = Clock::now() + std::chrono::seconds(40);
  while (fast_backups().size() < 3 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_GE(fast_backups().size(), 3u) << server_log();

  // Pause, so that no run starts between the scrape and the listing; the
  // server sees it within a second, and a run in progress takes well under one.
  ASSERT_EQ(at({"schedule", "pause", "fast"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::string metrics = http_get(port, "/metrics");
  json items = fast_backups();
  size_t completed = 0;
  for (const auto& b : items) completed += b["status"] == "Completed" ? 1 : 0;
  EXPECT_EQ(completed, items.size());
  EXPECT_EQ(metric(metrics, "velero_backup_attempt_total"), static_cast<double>(items.size())) << metrics;
  EXPECT_EQ(metric(metrics, "velero_backup_success_total"), static_cast<double>(completed)) << metrics;
  EXPECT_EQ(metric(metrics, "velero_backup_failure_total"), 0) << metrics;
  EXPECT_EQ(metric(metrics, "velero_backup_duration_seconds_count"), static_cast<double>(completed));
  EXPECT_EQ(metric(metrics, "velero_backup_last_status"), 1);
  // The newest backup is named after the second its run started, which is
  // the last successful timestamp.
  std::string newest = items[0]["name"];
  std::tm tm{};
  ASSERT_TRUE(strptime(newest.substr(5).c_str(), "%Y%m%d%H%M%S", &tm)) << newest;
  EXPECT_EQ(metric(metrics, "velero_backup_last_successful_timestamp"), static_cast<double>(timegm(&tm)));
  json sched = json::parse(at({"schedule", "get", "fast", "-o", "json"}).out)["items"][0];
  EXPECT_EQ(sched["last_backup_name"], newest);

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int status = 0;
  deadline = Clock::now() + std::chrono::seconds(20);
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(done, pid_) << "the server did not stop after SIGTERM\n" << server_log();
  pid_ = -1;
  ASSERT_TRUE(WIFEXITED(status)) << server_log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << server_log();
  EXPECT_NE(server_log().find("server: stopped"), std::string::npos) << server_log();
  CommandResult check = at({"repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(ServerE2eTest, SigtermDuringABackupLetsItFinishThenExitsZero) {
  // About a second of work: 1500 files of 30 KB, nothing to reuse.
  for (int i = 0; i < 1500; ++i)
    make_random_file(src_ + "/many/d" + std::to_string(i % 20) + "/f" + std::to_string(i), 30000, 100 + i);
  ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
  ASSERT_EQ(at({"schedule", "create", "fast", "--schedule", "* * * * * *", "--path", src_}).exit_code, 0);
  start_server(free_port());
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (server_log().find("starting backup fast-") == std::string::npos && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int status = 0;
  deadline = Clock::now() + std::chrono::seconds(60);
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(done, pid_) << server_log();
  pid_ = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string log = server_log();
  size_t term = log.find("server: SIGTERM"), completed = log.find(" Completed in ");
  ASSERT_NE(term, std::string::npos) << log;
  ASSERT_NE(completed, std::string::npos) << log;
  EXPECT_LT(term, completed) << "the backup should still have been running at SIGTERM\n" << log;
  EXPECT_EQ(log.find("starting backup", log.find("starting backup") + 1), std::string::npos)
      << "nothing new may start after SIGTERM\n"
      << log;
  json items = fast_backups();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["status"], "Completed");
  EXPECT_EQ(items[0]["stats"]["files"], 1502);
  CommandResult check = at({"repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace cairn
