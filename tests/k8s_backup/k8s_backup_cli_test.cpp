// `cairn backup create` with Velero's Kubernetes flags, end to end through
// the real binary against the fake API server.
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "k8s_support/fake_apiserver.h"
#include "k8s_support/platform_fixture.h"

namespace cairn {
namespace {

using nlohmann::json;

class K8sBackupCliTest : public CliTest {
 protected:
  void SetUp() override {
    init_repository();
    testing::seed_platform(server_);
    kubeconfig_ = server_.write_kubeconfig(tmp_.file("kubeconfig"));
  }
  CommandResult backup(std::vector<std::string> args) {
    std::vector<std::string> all = {"backup", "create"};
    all.insert(all.end(), args.begin(), args.end());
    return cairn(all, {{"KUBECONFIG", kubeconfig_}, {"HOME", tmp_.path()}});
  }
  testing::FakeApiServer server_;
  std::string kubeconfig_;
};

TEST_F(K8sBackupCliTest, BacksUpOneNamespaceFromKubeconfigAndGetListsIt) {
  const CommandResult c =
      backup({"astro", "--include-namespaces", "astronomer", "--selector", "component=houston"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // namespace + deployment + service + secret + configmap, all labelled component=houston
  EXPECT_NE(c.out.find("backup \"astro\" Completed: 5 objects of 5 resource types from " + server_.url()),
            std::string::npos)
      << c.out;
  const json got = json::parse(cairn({"backup", "get", "-o", "json"}).out);
  ASSERT_EQ(got["items"].size(), 1u);
  EXPECT_EQ(got["items"][0]["name"], "astro");
  EXPECT_EQ(got["items"][0]["status"], "Completed");
}

TEST_F(K8sBackupCliTest, ExplicitKubeconfigAndCommaListsWork) {
  const CommandResult c =
      cairn({"backup", "create", "all", "--kubeconfig", kubeconfig_, "--include-namespaces", "*",
             "--exclude-resources", "secrets,pvc", "--include-cluster-resources", "false"},
            {{"KUBECONFIG", ""}, {"HOME", tmp_.path()}});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("Completed"), std::string::npos) << c.out;
}

TEST_F(K8sBackupCliTest, PathAndClusterFlagsTogetherAreAUsageError) {
  const CommandResult c = backup({"mixed", "--path", tmp_.path(), "--include-namespaces", "astronomer"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  const CommandResult none = cairn({"backup", "create", "nothing"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("say what to back up"), std::string::npos) << none.err;
}

TEST_F(K8sBackupCliTest, BadFlagValuesAreUsageErrorsInOneSentence) {
  CommandResult c = backup({"b", "--include-namespaces", "*", "--include-cluster-resources", "maybe"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  c = backup({"b", "--include-resources", "deploymnets"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("does not serve"), std::string::npos) << c.err;
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
}

TEST_F(K8sBackupCliTest, UnreachableClusterOrMissingKubeconfigFailInOneSentence) {
  CommandResult c =
      cairn({"backup", "create", "b", "--include-namespaces", "*", "--kubeconfig", tmp_.file("nope")});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  EXPECT_NE(c.err.find("cannot read kubeconfig"), std::string::npos) << c.err;

  const std::string dead = tmp_.file("dead.kubeconfig");
  {
    testing::FakeApiServer gone;
    gone.write_kubeconfig(dead);
  }
  c = cairn({"backup", "create", "b", "--include-namespaces", "*", "--kubeconfig", dead});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_TRUE(is_one_plain_sentence(c.err)) << c.err;
  EXPECT_NE(c.err.find("cannot reach the Kubernetes API server"), std::string::npos) << c.err;
}

TEST_F(K8sBackupCliTest, ATypeThatFailsToListExitsThreeAsPartiallyFailed) {
  testing::FakeApiServerOptions o;
  o.failing_resources = {"secrets"};
  testing::FakeApiServer failing(o);
  const std::string cfg = failing.write_kubeconfig(tmp_.file("failing.kubeconfig"));
  const CommandResult c =
      cairn({"backup", "create", "partial", "--include-namespaces", "*", "--kubeconfig", cfg});
  EXPECT_EQ(c.exit_code, 3) << c.err;
  EXPECT_NE(c.out.find("PartiallyFailed"), std::string::npos) << c.out;
  EXPECT_NE(c.err.find("cannot list secrets"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(K8sBackupCliTest, DescribeListsTheBackedUpObjectsAsVeleroDoes) {
  ASSERT_EQ(backup({"astarte", "--include-namespaces", "astarte"}).exit_code, 0);
  const CommandResult d = cairn({"backup", "describe", "astarte"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("Source:       k8s"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("Resource List:\n"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("  api.astarte-platform.org/v1alpha1/Astarte:\n    - astarte/astarte\n"),
            std::string::npos)
      << d.out;
  EXPECT_NE(d.out.find("  v1/Secret:\n    - astarte/astarte-devices-ca\n"), std::string::npos) << d.out;
  const json j = json::parse(cairn({"backup", "describe", "astarte", "-o", "json"}).out);
  EXPECT_EQ(j["resourceList"]["v1/Namespace"][0], "astarte");
  EXPECT_EQ(j["resourceList"]["apiextensions.k8s.io/v1/CustomResourceDefinition"].size(), 2u);
}

}  // namespace
}  // namespace cairn
