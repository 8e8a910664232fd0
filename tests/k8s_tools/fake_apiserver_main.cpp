// k8s_fake_apiserver: the test API server as a process, for bench/k8s-restore.sh.
//
//   k8s_fake_apiserver KUBECONFIG [CONFIGMAPS] [NAMESPACE]
//
// Seeds NAMESPACE (default "bench") with CONFIGMAPS configmaps (default 0),
// writes a kubeconfig for the server to KUBECONFIG, prints "ready <url>" and
// serves until SIGTERM or SIGINT. Test-only; never shipped.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "k8s_support/fake_apiserver.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s KUBECONFIG [CONFIGMAPS] [NAMESPACE]\n", argv[0]);
    return 2;
  }
  const long count = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 0;
  const std::string ns = argc > 3 ? argv[3] : "bench";
  sigset_t wait_for;
  sigemptyset(&wait_for);
  sigaddset(&wait_for, SIGTERM);
  sigaddset(&wait_for, SIGINT);
  pthread_sigmask(SIG_BLOCK, &wait_for, nullptr);  // before the server's threads start

  cairn::testing::FakeApiServer server;
  if (count > 0) {
    server.seed(
        nlohmann::json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}.dump());
  }
  for (long i = 0; i < count; ++i) {
    const nlohmann::json cm = {{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"metadata", {{"name", "cm-" + std::to_string(i)}, {"namespace", ns}}},
                               {"data", {{"key", "value-" + std::to_string(i)}}}};
    server.seed(cm.dump());
  }
  server.write_kubeconfig(argv[1]);
  std::printf("ready %s\n", server.url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&wait_for, &sig);
  return 0;
}
