#include "cli/context.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/key_cache.h"
#include "common/log.h"

namespace cairn {

int report_error(const Status& status) {
  std::string msg = status.message();
  if (!msg.empty() && msg.back() != '.') msg += '.';
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  switch (status.code()) {
    case ErrorCode::kWrongPassword: return kExitWrongPassword;
    case ErrorCode::kLocked: return kExitLocked;
    case ErrorCode::kInvalidArgument: return kExitUsage;
    default: return kExitFailure;
  }
}

void exit_on_error(const Status& status) {
  if (!status.is_ok()) throw CommandExit{report_error(status)};
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO); }
bool json_output(const GlobalOptions& g) { return g.output == "json"; }

namespace {
std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

Result<std::string> prompt_terminal(const std::string& prompt) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return invalid_argument("no terminal to ask for the password on");
  struct termios old_t, new_t;
  bool have_t = tcgetattr(fd, &old_t) == 0;
  if (have_t) {
    new_t = old_t;
    new_t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &new_t);
  }
  if (write(fd, prompt.data(), prompt.size()) < 0) {
  }
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (have_t) tcsetattr(fd, TCSAFLUSH, &old_t);
  if (write(fd, "\n", 1) < 0) {
  }
  close(fd);
  return line;
}
}  // namespace

Result<std::string> read_password(const std::string& prompt, bool confirm, const std::string& env_prefix) {
  std::string file_var = env_prefix + "PASSWORD_FILE", var = env_prefix + "PASSWORD";
  if (const char* path = std::getenv(file_var.c_str()); path && *path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return invalid_argument("cannot read the password file named by " + file_var + " (" + path + ")");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string pw = strip_newline(ss.str());
    if (pw.empty()) return invalid_argument("the password file named by " + file_var + " is empty");
    return pw;
  }
  if (const char* pw = std::getenv(var.c_str()); pw && *pw) return std::string(pw);
  if (!isatty(STDIN_FILENO))
    return invalid_argument("no password given: set " + file_var + " or " + var +
                            ", or run cairn on a terminal");
  CAIRN_ASSIGN_OR_RETURN(std::string pw, prompt_terminal(prompt));
  if (pw.empty()) return invalid_argument("the password is empty");
  if (confirm) {
    CAIRN_ASSIGN_OR_RETURN(std::string again, prompt_terminal("Enter the password again: "));
    if (again != pw) return invalid_argument("the two passwords differ");
  }
  return pw;
}

std::unique_ptr<Repository> open_repository(const GlobalOptions& g, bool load_index, RepoAccess access,
                                            bool use_key_cache) {
  RepositoryTarget target = resolve_target(g);
  if (access != RepoAccess::kRead)
    exit_on_error(access_mode_refusal(target.location.access_mode, target.named ? target.location.name : "",
                                      access == RepoAccess::kDelete));
  Result<std::shared_ptr<Backend>> backend = open_backend_stack(target.location, false);
  if (!backend.is_ok()) {
    if (backend.status().code() == ErrorCode::kNotFound) {
      std::fprintf(stderr, "error: there is no cairn repository at %s; create one with 'cairn repo init'.\n",
                   target.describe().c_str());
      throw CommandExit{kExitNoRepository};
    }
    exit_on_error(backend.status());
  }
  Result<std::string> password = read_password("Repository password: ", false);
  exit_on_error(password.status());
  Result<std::unique_ptr<Repository>> repo =
      use_key_cache ? open_with_key_cache(*backend, *password, KeyCache::open_default())
                    : Repository::open(*backend, *password);
  if (!repo.is_ok()) {
    if (repo.status().code() == ErrorCode::kWrongPassword) {
      std::fprintf(stderr, "error: wrong password: no key of the repository at %s opens with it.\n",
                   target.describe().c_str());
      throw CommandExit{kExitWrongPassword};
    }
    exit_on_error(repo.status());
  }
  // Readers also see packs a running prune has set aside, so a backup that
  // straddled the prune stays readable; writers must not (docs/format.md).
  if (load_index)
    exit_on_error((*repo)->load_index(nullptr, access == RepoAccess::kRead
                                                   ? Repository::PendingPacks::kInclude
                                                   : Repository::PendingPacks::kExclude));
  return std::move(*repo);
}

}  // namespace cairn
