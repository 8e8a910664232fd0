// `cairn restore create|get|describe` for Kubernetes backups, end to end
// through the real binary against the fake API server, checked with the
// real kubectl where it is installed.
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/location_fixture.h"
#include "k8s_support/fake_apiserver.h"
#include "k8s_support/platform_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;

const char kMeteorNs[] = "astronomer-weightless-meteor-5042";

bool have_kubectl() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  size_t start = 0;
  while (start <= p.size()) {
    size_t colon = p.find(':', start);
    if (colon == std::string::npos) colon = p.size();
    if (access((p.substr(start, colon - start) + "/kubectl").c_str(), X_OK) == 0) return true;
    start = colon + 1;
  }
  return false;
}

class K8sRestoreCliTest : public LocationCliTest {
 protected:
  void SetUp() override {
    LocationCliTest::SetUp();
    ASSERT_EQ(at({"location", "create", "disk", "--path", repo(), "--default"}).exit_code, 0);
    testing::seed_platform(source_);
    source_config_ = source_.write_kubeconfig(tmp_.file("source.kubeconfig"));
    target_config_ = target_.write_kubeconfig(tmp_.file("target.kubeconfig"));
  }
  CommandResult run(std::vector<std::string> args) {
    return at(args, {{"HOME", tmp_.path()}, {"KUBECONFIG", ""}});
  }
  CommandResult kubectl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", target_config_, "--cache-dir",
                                     tmp_.file("kcache")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {{"HOME", tmp_.path()}, {"KUBECONFIG", ""}});
  }

  testing::FakeApiServer source_, target_;
  std::string source_config_, target_config_;
};

TEST_F(K8sRestoreCliTest, RestoreIntoAnEmptyClusterIsListedDescribedAndSeenByKubectl) {
  ASSERT_EQ(
      run({"backup", "create", "all", "--include-namespaces", "*", "--kubeconfig", source_config_}).exit_code,
      0);
  const CommandResult c =
      run({"restore", "create", "back", "--from-backup", "all", "--wait", "--kubeconfig", target_config_});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("restore \"back\" from backup \"all\" Completed"), std::string::npos) << c.out;

  const CommandResult get = run({"restore", "get"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out.rfind("NAME", 0), 0u) << get.out;
  for (const char* column : {"BACKUP", "STATUS", "STARTED", "COMPLETED", "ERRORS", "WARNINGS"})
    EXPECT_NE(get.out.find(column), std::string::npos) << get.out;
  const json items = json::parse(run({"restore", "get", "-o", "json"}).out)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["name"], "back");
  EXPECT_EQ(items[0]["backup"], "all");
  EXPECT_EQ(items[0]["status"], "Completed");

  const CommandResult d = run({"restore", "describe", "back", "--details"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("Phase:        Completed"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("astartes.api.astarte-platform.org"), std::string::npos) << d.out;
  const json dj = json::parse(run({"restore", "describe", "back", "--details", "-o", "json"}).out);
  EXPECT_GE(dj["items"].size(), testing::platform_item_paths().size());

  // Same name again: refused, nothing done.
  const CommandResult again =
      run({"restore", "create", "back", "--from-backup", "all", "--kubeconfig", target_config_});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(again.err)) << again.err;

  if (!have_kubectl()) GTEST_SKIP() << "no kubectl on PATH (install Debian's kubernetes-client)";
  const CommandResult k = kubectl({"get", "deployments", "-A", "-o", "json"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  std::set<std::string> names;
  const json listed = json::parse(k.out);
  for (const json& i : listed["items"]) names.insert(i["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"commander", "houston", "weightless-meteor-5042-scheduler",
                                          "weightless-meteor-5042-webserver"}));
  const CommandResult a = kubectl({"get", "astartes", "-n", "astarte", "-o", "json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(json::parse(a.out)["items"].size(), 1u);
}

TEST_F(K8sRestoreCliTest, JsonOutputReportsEveryItemAndRestoringTwiceSkipsOrUpdates) {
  ASSERT_EQ(
      run({"backup", "create", "astro", "--include-namespaces", "astronomer", "--kubeconfig", source_config_})
          .exit_code,
      0);
  CommandResult c = run(
      {"restore", "create", "first", "--from-backup", "astro", "--kubeconfig", target_config_, "-o", "json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  json j = json::parse(c.out);
  EXPECT_EQ(j["status"], "Completed");
  EXPECT_EQ(j["outcomes"]["created"], j["items"].size());
  c = run({"restore", "create", "second", "--from-backup", "astro", "--kubeconfig", target_config_, "-o",
           "json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  j = json::parse(c.out);
  EXPECT_EQ(j["outcomes"]["skipped-exists"], j["items"].size());
  c = run({"restore", "create", "third", "--from-backup", "astro", "--kubeconfig", target_config_,
           "--existing-resource-policy", "update", "--include-resources", "configmaps", "-o", "json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  j = json::parse(c.out);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["name"], "houston-config");
  EXPECT_EQ(j["items"][0]["outcome"], "skipped-exists");
  EXPECT_EQ(j["items"][0]["reason"], "already exists and matches the backup");
}

TEST_F(K8sRestoreCliTest, FromSchedulePicksTheNewestCompletedBackup) {
  ASSERT_EQ(run({"schedule", "create", "s", "--schedule", "@daily", "--path", src_}).exit_code, 0);
  const std::string label = "cairn.io/schedule-name=s";
  ASSERT_EQ(run({"backup", "create", "older", "--include-namespaces", "astronomer", "--label", label,
                 "--kubeconfig", source_config_})
                .exit_code,
            0);
  sleep(1);
  ASSERT_EQ(run({"backup", "create", "newer", "--include-namespaces", "astarte", "--label", label,
                 "--kubeconfig", source_config_})
                .exit_code,
            0);
  sleep(1);
  testing::FakeApiServerOptions failing_options;
  failing_options.failing_resources = {"secrets"};
  testing::FakeApiServer failing(failing_options);
  testing::seed_platform(failing);
  const std::string failing_config = failing.write_kubeconfig(tmp_.file("failing.kubeconfig"));
  ASSERT_EQ(run({"backup", "create", "newest-partial", "--include-namespaces", kMeteorNs, "--label", label,
                 "--kubeconfig", failing_config})
                .exit_code,
            3);
  const CommandResult r = run({"restore", "create", "--from-schedule", "s", "--kubeconfig", target_config_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("from backup \"newer\""), std::string::npos) << r.out;
  EXPECT_NE(target_.object("", "secrets", "astarte", "astarte-devices-ca"), "");
  EXPECT_EQ(target_.object("apps", "deployments", "astronomer", "houston"), "");
}

TEST_F(K8sRestoreCliTest, BadInputsGiveOnePlainSentenceAndANonZeroExit) {
  ASSERT_EQ(
      run({"backup", "create", "all", "--include-namespaces", "*", "--kubeconfig", source_config_}).exit_code,
      0);
  CommandResult c = run({"restore", "create", "--from-backup", "nope", "--kubeconfig", target_config_});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;

  c = run({"restore", "create", "--from-backup", "all", "--namespace-mappings", "a-b", "--kubeconfig",
           target_config_});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  EXPECT_NE(c.err.find("old:new"), std::string::npos) << c.err;

  const std::string bad = tmp_.file("bad.yaml");
  std::ofstream(bad) << "version: v1\nresourceModifierRules:\n- conditions: {groupResource: secrets}\n"
                        "  patches:\n  - operation: frobnicate\n    path: /data\n";
  c = run({"restore", "create", "--from-backup", "all", "--resource-modifiers", bad, "--kubeconfig",
           target_config_});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  EXPECT_NE(c.err.find("frobnicate"), std::string::npos) << c.err;

  c = run({"restore", "create", "--from-backup", "all", "--resource-modifiers", tmp_.file("missing.yaml"),
           "--kubeconfig", target_config_});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;

  c = run({"restore", "create", "--from-backup", "all", "--existing-resource-policy", "overwrite",
           "--kubeconfig", target_config_});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;

  const std::string dead = tmp_.file("dead.kubeconfig");
  {
    testing::FakeApiServer gone;
    gone.write_kubeconfig(dead);
  }
  c = run({"restore", "create", "dead", "--from-backup", "all", "--kubeconfig", dead});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  EXPECT_NE(c.err.find("cannot reach the Kubernetes API server"), std::string::npos) << c.err;
  const json items = json::parse(run({"restore", "get", "-o", "json"}).out)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["status"], "Failed");
  EXPECT_EQ(target_.count("", "secrets"), 0u);  // nothing reached the target in any of these
}

}  // namespace
}  // namespace cairn
