// Kubernetes backups of the fixture platform: each kind of filter captures
// exactly the expected objects, in Velero's layout, and failures of one type
// make the backup PartiallyFailed instead of failing it.
#include "source/k8s/k8s_backup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "common/clock.h"
#include "k8s_support/fake_apiserver.h"
#include "k8s_support/platform_fixture.h"
#include "repo/repository.h"
#include "storage/local_backend.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::FakeApiServer;
using testing::FakeApiServerOptions;

class K8sBackupTest : public ::testing::Test {
 protected:
  void SetUp() override { make(FakeApiServerOptions{}); }

  void make(const FakeApiServerOptions& o) {
    server_ = std::make_unique<FakeApiServer>(o);
    testing::seed_platform(*server_);
    k8s::ClusterConfig c;
    c.server = server_->url();
    c.source = "test";
    client_ = std::make_unique<k8s::Client>(c);
    const std::string path = tmp_.file("repo" + std::to_string(++repos_));
    auto backend = create_local_backend(path);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    InitOptions init;
    init.kdf.memory_kib = 8 * 1024;
    init.kdf.iterations = 1;
    ASSERT_TRUE(Repository::init(std::shared_ptr<Backend>(std::move(*backend)), "pw", init).is_ok());
    auto reopened = open_local_backend(path);
    ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
    auto opened = Repository::open(std::shared_ptr<Backend>(std::move(*reopened)), "pw");
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    repo_ = std::move(*opened);
    ASSERT_TRUE(repo_->load_index().is_ok());
  }

  SnapshotManifest backup(K8sBackupOptions o) {
    if (o.name.empty()) o.name = "b" + std::to_string(++backups_);
    Result<SnapshotManifest> m = run_k8s_backup(*repo_, *client_, o);
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    return m.is_ok() ? *m : SnapshotManifest{};
  }

  void walk(const BlobId& tree, const std::string& prefix, std::map<std::string, Node>& out) {
    Result<Tree> t = repo_->read_tree(tree);
    ASSERT_TRUE(t.is_ok()) << t.status().message();
    for (const Node& n : t->nodes) {
      if (n.type == NodeType::kDirectory) {
        walk(n.subtree, prefix + n.name + "/", out);
      } else {
        out[prefix + n.name] = n;
      }
    }
  }

  std::map<std::string, Node> files(const SnapshotManifest& m) {
    std::map<std::string, Node> out;
    walk(m.tree, "", out);
    return out;
  }

  // The resources/ paths of a backup, sorted.
  std::vector<std::string> items(const SnapshotManifest& m) {
    std::vector<std::string> out;
    for (const auto& [path, node] : files(m)) {
      if (path.rfind("resources/", 0) == 0) out.push_back(path);
    }
    return out;
  }

  std::string content(const SnapshotManifest& m, const std::string& path) {
    const auto all = files(m);
    const auto it = all.find(path);
    if (it == all.end()) return "<missing " + path + ">";
    std::string out;
    for (const ContentChunk& c : it->second.content) {
      Result<Bytes> b = repo_->read_blob(c.id);
      EXPECT_TRUE(b.is_ok()) << b.status().message();
      if (b.is_ok()) out += as_string_view(*b);
    }
    return out;
  }

  static std::vector<std::string> platform(const std::function<bool(const std::string&)>& keep) {
    std::vector<std::string> out;
    for (const std::string& p : testing::platform_item_paths()) {
      if (keep(p)) out.push_back(p);
    }
    return out;
  }
  static bool has(const std::string& path, const std::string& part) {
    return path.find(part) != std::string::npos;
  }

  TempDir tmp_;
  int repos_ = 0, backups_ = 0;
  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<k8s::Client> client_;
  std::unique_ptr<Repository> repo_;
};

const char* kMeteor = "astronomer-weightless-meteor-5042";

TEST_F(K8sBackupTest, WholeClusterBackupTakesEveryObjectInVeleroLayout) {
  const SnapshotManifest m = backup({});
  EXPECT_EQ(m.status, BackupStatus::kCompleted);
  EXPECT_EQ(m.source, "k8s");
  std::vector<std::string> want = testing::platform_item_paths();
  want.push_back("resources/namespaces/cluster/default.json");
  want.push_back("resources/namespaces/cluster/kube-system.json");
  std::sort(want.begin(), want.end());
  EXPECT_EQ(items(m), want);

  const json d = json::parse(content(m, "resources/deployments.apps/namespaces/astronomer/houston.json"));
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_FALSE(d["metadata"]["uid"].get<std::string>().empty());  // stored as served; restore cleans
  const json cr =
      json::parse(content(m, "resources/astartes.api.astarte-platform.org/namespaces/astarte/astarte.json"));
  EXPECT_EQ(cr["spec"]["version"], "1.1.1");

  EXPECT_EQ(content(m, "metadata/version"), "1.1.0\n");
  const json list = json::parse(content(m, "metadata/resource-list.json"));
  EXPECT_EQ(list["apps/v1/Deployment"].size(), 4u);
  EXPECT_EQ(list["v1/Secret"][0], "astarte/astarte-devices-ca");
  const json preferred = json::parse(content(m, "metadata/preferred-versions.json"));
  EXPECT_EQ(preferred["apps"], "v1");
  EXPECT_EQ(preferred["api.astarte-platform.org"], "v1alpha1");
}

TEST_F(K8sBackupTest, IncludeNamespacesTakesThoseNamespacesAndTheCrdsOfTheirCustomResources) {
  K8sBackupOptions o;
  o.include_namespaces = {"astarte"};
  const SnapshotManifest m = backup(o);
  std::vector<std::string> want = platform([](const std::string& p) {
    return has(p, "/namespaces/astarte/") || p == "resources/namespaces/cluster/astarte.json" ||
           has(p, "customresourcedefinitions");
  });
  EXPECT_EQ(items(m), want);
}

TEST_F(K8sBackupTest, NamespaceFilterBringsThePersistentVolumesOfBackedUpClaims) {
  K8sBackupOptions o;
  o.include_namespaces = {kMeteor};
  const std::vector<std::string> got = items(backup(o));
  EXPECT_EQ(got, platform([](const std::string& p) {
              return has(p, std::string("/") + kMeteor + "/") || has(p, std::string("cluster/") + kMeteor) ||
                     has(p, "pv-meteor-");
            }));
}

TEST_F(K8sBackupTest, ExcludeNamespacesDropsThemAndAutoThenLeavesOtherClusterObjectsOut) {
  K8sBackupOptions o;
  o.exclude_namespaces = {"astarte", "kube-system", "default"};
  const std::vector<std::string> got = items(backup(o));
  EXPECT_EQ(got, platform([](const std::string& p) {
              if (has(p, "astarte")) return false;
              return has(p, "/namespaces/astronomer") || has(p, "cluster/astronomer") || has(p, "pv-meteor-");
            }));
}

TEST_F(K8sBackupTest, IncludeClusterResourcesTrueTakesAllClusterObjectsEvenWithANamespaceFilter) {
  K8sBackupOptions o;
  o.include_namespaces = {"astronomer"};
  o.cluster_resources = ClusterResources::kInclude;
  const std::vector<std::string> got = items(backup(o));
  EXPECT_EQ(got, platform([](const std::string& p) {
              return has(p, "/namespaces/astronomer/") ||
                     (has(p, "/cluster/") && !has(p, "resources/namespaces/")) ||
                     p == "resources/namespaces/cluster/astronomer.json";
            }));
}

TEST_F(K8sBackupTest, IncludeClusterResourcesFalseKeepsOnlyNamespacedObjectsAndTheirNamespaces) {
  K8sBackupOptions o;
  o.cluster_resources = ClusterResources::kExclude;
  const std::vector<std::string> got = items(backup(o));
  for (const std::string& p : got) {
    EXPECT_TRUE(has(p, "/namespaces/") || has(p, "resources/namespaces/cluster/")) << p;
  }
  EXPECT_TRUE(std::find(got.begin(), got.end(), "resources/namespaces/cluster/astarte.json") != got.end());
}

TEST_F(K8sBackupTest, IncludeAndExcludeResourcesByAnyNameTheClusterKnows) {
  K8sBackupOptions o;
  o.include_resources = {"secrets", "cm", "Deployment"};
  o.exclude_resources = {"deployments.apps"};
  const std::vector<std::string> got = items(backup(o));
  EXPECT_EQ(got, platform([](const std::string& p) {
              return p.rfind("resources/secrets/", 0) == 0 || p.rfind("resources/configmaps/", 0) == 0;
            }));
}

TEST_F(K8sBackupTest, SelectorNeverTakesTheRedisClaim) {
  K8sBackupOptions o;
  o.include_namespaces = {kMeteor};
  o.label_selector = "component!=redis";
  const std::vector<std::string> got = items(backup(o));
  EXPECT_FALSE(std::any_of(got.begin(), got.end(), [](const std::string& p) { return has(p, "redis"); }));
  EXPECT_TRUE(std::find(got.begin(), got.end(),
                        std::string("resources/persistentvolumeclaims/namespaces/") + kMeteor +
                            "/postgres-data.json") != got.end());
  EXPECT_TRUE(std::find(got.begin(), got.end(),
                        "resources/persistentvolumes/cluster/pv-meteor-postgres.json") != got.end());
  EXPECT_TRUE(std::find(got.begin(), got.end(),
                        std::string("resources/namespaces/cluster/") + kMeteor + ".json") != got.end());
}

TEST_F(K8sBackupTest, ExcludeFromBackupLabelDropsOneObjectByName) {
  ASSERT_TRUE(client_
                  ->merge_patch(*client_->discover()->find("pvc"), kMeteor, "redis-data",
                                R"({"metadata":{"labels":{"velero.io/exclude-from-backup":"true"}}})")
                  .is_ok());
  const std::vector<std::string> got = items(backup({}));
  EXPECT_FALSE(
      std::any_of(got.begin(), got.end(), [](const std::string& p) { return has(p, "redis-data"); }));
  EXPECT_EQ(got.size(), testing::platform_item_paths().size() + 2 - 1);
}

TEST_F(K8sBackupTest, ATypeThatCannotBeListedMakesTheBackupPartiallyFailed) {
  FakeApiServerOptions o;
  o.failing_resources = {"configmaps"};
  make(o);
  const SnapshotManifest m = backup({});
  EXPECT_EQ(m.status, BackupStatus::kPartiallyFailed);
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].path, "resources/configmaps");
  EXPECT_NE(m.errors[0].message.find("cannot list configmaps in all namespaces"), std::string::npos)
      << m.errors[0].message;
  const std::vector<std::string> got = items(m);
  EXPECT_TRUE(std::find(got.begin(), got.end(),
                        "resources/secrets/namespaces/astarte/astarte-devices-ca.json") != got.end());
}

TEST_F(K8sBackupTest, UnknownResourceNameFailsAndSavesNothing) {
  K8sBackupOptions o;
  o.name = "typo";
  o.include_resources = {"deploymnets"};
  const Result<SnapshotManifest> m = run_k8s_backup(*repo_, *client_, o);
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("--include-resources names \"deploymnets\""), std::string::npos);
  EXPECT_FALSE(repo_->load_snapshot("typo").is_ok());
}

TEST_F(K8sBackupTest, ABackupNameCannotBeUsedTwice) {
  K8sBackupOptions o;
  o.name = "nightly";
  backup(o);
  const Result<SnapshotManifest> again = run_k8s_backup(*repo_, *client_, o);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
}

TEST(ClusterResourcesFlagTest, ParsesTrueFalseAutoAndRefusesTheRest) {
  EXPECT_EQ(*parse_cluster_resources("true"), ClusterResources::kInclude);
  EXPECT_EQ(*parse_cluster_resources("false"), ClusterResources::kExclude);
  EXPECT_EQ(*parse_cluster_resources("auto"), ClusterResources::kAuto);
  EXPECT_FALSE(parse_cluster_resources("yes").is_ok());
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// Scale figure for the notes, skipped unless CAIRN_K8S_SCALE_OBJECTS is set
// (e.g. 10000): the backup time of N configmaps beside kubectl's listing of
// the same server.
TEST_F(K8sBackupTest, ScaleBackupBesideKubectlListing) {
  const char* n_env = std::getenv("CAIRN_K8S_SCALE_OBJECTS");
  if (n_env == nullptr) GTEST_SKIP() << "set CAIRN_K8S_SCALE_OBJECTS=10000 to measure";
  const int n = std::atoi(n_env);
  for (int ns = 0; ns < 10; ++ns) {
    server_->seed(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"scale-)" + std::to_string(ns) +
                  R"("}})");
  }
  const std::string payload(400, 'x');
  for (int i = 0; i < n; ++i) {
    server_->seed(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)" + std::to_string(i) +
                  R"(","namespace":"scale-)" + std::to_string(i % 10) + R"(","labels":{"app":"scale"}},
                  "data":{"payload":")" +
                  payload + R"("}})");
  }
  const std::string kubeconfig = server_->write_kubeconfig(tmp_.file("kubeconfig"));
  double t0 = monotonic_seconds();
  const CommandResult k = run_command({"kubectl", "--kubeconfig", kubeconfig, "--cache-dir",
                                       tmp_.file("cache"), "get", "configmaps", "-A", "-o", "json"},
                                      {{"HOME", tmp_.path()}});
  const double kubectl_s = monotonic_seconds() - t0;
  t0 = monotonic_seconds();
  const SnapshotManifest m = backup({});
  const double backup_s = monotonic_seconds() - t0;
  std::printf(
      "objects %d: kubectl get configmaps -A -o json %.2f s (exit %d, %zu bytes); cairn backup (all "
      "types) %.2f s, %llu files, %s added\n",
      n, kubectl_s, k.exit_code, k.out.size(), backup_s, static_cast<unsigned long long>(m.stats.files),
      format_size(m.stats.bytes_added).c_str());
  EXPECT_EQ(m.status, BackupStatus::kCompleted);
  EXPECT_GE(m.stats.files, static_cast<uint64_t>(n));
}

}  // namespace
}  // namespace cairn
