// Kubernetes restores of the fixture platform through the engine, against
// the fake API server: selection, Velero's order (checked from the server's
// request log), existing-resource policies, namespace mappings and
// resource modifiers.
#include "source/k8s/k8s_restore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "k8s_support/fake_apiserver.h"
#include "k8s_support/platform_fixture.h"
#include "repo/repository.h"
#include "source/k8s/resource_modifiers.h"
#include "storage/local_backend.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::FakeApiServer;
using testing::FakeApiServerOptions;

const char kMeteor[] = "astronomer-weightless-meteor-5042";

struct ItemRef {
  std::string group, resource, ns, name;
};

// "resources/deployments.apps/namespaces/a/b.json" -> {apps, deployments, a, b}
ItemRef parse_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  ItemRef r;
  const std::string gr = parts[1];
  const size_t dot = gr.find('.');
  r.resource = gr.substr(0, dot);
  r.group = dot == std::string::npos ? "" : gr.substr(dot + 1);
  std::string file = parts.back();
  r.name = file.substr(0, file.size() - 5);
  if (parts[2] == "namespaces") r.ns = parts[3];
  return r;
}

std::unique_ptr<k8s::Client> client_for(const FakeApiServer& s) {
  k8s::ClusterConfig c;
  c.server = s.url();
  c.source = "test";
  return std::make_unique<k8s::Client>(c);
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += t[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += std::string{t[(v >> 18) & 63], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += std::string{t[(v >> 18) & 63], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

class K8sRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::seed_platform(source_);
    source_client_ = client_for(source_);
    const std::string path = tmp_.file("repo");
    auto backend = create_local_backend(path);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    InitOptions init;
    init.kdf.memory_kib = 8 * 1024;
    init.kdf.iterations = 1;
    ASSERT_TRUE(Repository::init(std::shared_ptr<Backend>(std::move(*backend)), "pw", init).is_ok());
    auto reopened = open_local_backend(path);
    ASSERT_TRUE(reopened.is_ok());
    auto opened = Repository::open(std::shared_ptr<Backend>(std::move(*reopened)), "pw");
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    repo_ = std::move(*opened);
    ASSERT_TRUE(repo_->load_index().is_ok());
    K8sBackupOptions b;
    b.name = "all";
    Result<SnapshotManifest> m = run_k8s_backup(*repo_, *source_client_, b);
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    backup_ = *m;
  }

  RestoreRecord restore(FakeApiServer& target, K8sRestoreOptions o) {
    auto client = client_for(target);
    if (o.name.empty()) o.name = "r" + std::to_string(++restores_);
    Result<RestoreRecord> r = run_k8s_restore(*repo_, backup_, *client, o);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : RestoreRecord{};
  }

  static std::string outcome(const RestoreRecord& r, const std::string& resource, const std::string& ns,
                             const std::string& name) {
    for (const RestoreItem& i : r.items)
      if (i.resource == resource && i.namespace_ == ns && i.name == name) return i.outcome;
    return "";
  }

  // Index in the request log of the first request matching.
  static size_t first(const std::vector<testing::LoggedRequest>& log, const std::string& method,
                      const std::string& path_part) {
    for (size_t i = 0; i < log.size(); ++i)
      if (log[i].method == method && log[i].path.find(path_part) != std::string::npos) return i;
    return log.size();
  }

  TempDir tmp_;
  FakeApiServer source_;
  std::unique_ptr<k8s::Client> source_client_;
  std::unique_ptr<Repository> repo_;
  SnapshotManifest backup_;
  int restores_ = 0;
};

TEST_F(K8sRestoreTest, DeletedNamespaceRestoredWithIncludeNamespacesGetsExactlyItsObjectsBack) {
  Result<k8s::Discovery> d = source_client_->discover();
  ASSERT_TRUE(d.is_ok());
  ASSERT_TRUE(source_client_->remove(*d->find("namespaces"), "", kMeteor).is_ok());
  ASSERT_EQ(source_.object("apps", "deployments", kMeteor, "weightless-meteor-5042-webserver"), "");
  const std::string houston_before = source_.object("apps", "deployments", "astronomer", "houston");
  source_.clear_requests();

  K8sRestoreOptions o;
  o.include_namespaces = {kMeteor};
  const RestoreRecord r = restore(source_, o);
  EXPECT_EQ(r.status, "Completed");
  EXPECT_TRUE(r.errors.empty());
  size_t expected = 0;
  for (const std::string& path : testing::platform_item_paths()) {
    const ItemRef i = parse_path(path);
    const bool in_meteor = i.ns == kMeteor || (i.resource == "namespaces" && i.name == kMeteor);
    if (!in_meteor) continue;
    ++expected;
    EXPECT_NE(source_.object(i.group, i.resource, i.ns, i.name), "") << path;
    EXPECT_EQ(outcome(r, i.group.empty() ? i.resource : i.resource + "." + i.group, i.ns, i.name), "created")
        << path;
  }
  EXPECT_EQ(r.items.size(), expected);
  // Nothing outside the namespace was written: every write names it.
  for (const testing::LoggedRequest& q : source_.requests()) {
    if (q.method == "GET") continue;
    EXPECT_EQ(q.method, "POST") << q.path;
    const bool namespace_create = q.path == "/api/v1/namespaces";
    EXPECT_TRUE(namespace_create ||
                q.path.find("/namespaces/" + std::string(kMeteor) + "/") != std::string::npos)
        << q.method << " " << q.path;
  }
  EXPECT_EQ(source_.object("apps", "deployments", "astronomer", "houston"), houston_before);
}

TEST_F(K8sRestoreTest, EverythingRestoredIntoAnEmptyServerInAValidOrder) {
  FakeApiServerOptions slow;
  slow.crd_establish_delay_ms = 400;  // the custom resources 404 until then
  FakeApiServer empty(slow);
  const RestoreRecord r = restore(empty, {});
  EXPECT_EQ(r.status, "Completed") << (r.errors.empty() ? "" : r.errors[0]);
  for (const std::string& path : testing::platform_item_paths()) {
    const ItemRef i = parse_path(path);
    EXPECT_NE(empty.object(i.group, i.resource, i.ns, i.name), "") << path;
  }
  const std::vector<testing::LoggedRequest> log = empty.requests();
  const size_t crd_post = first(log, "POST", "/customresourcedefinitions");
  const size_t crd_established =
      first(log, "GET", "/customresourcedefinitions/astartes.api.astarte-platform.org");
  const size_t ns_post = first(log, "POST", "/api/v1/namespaces");
  const size_t ca_post = first(log, "POST", "/namespaces/astarte/secrets");
  const size_t astarte_post = first(log, "POST", "/namespaces/astarte/astartes");
  ASSERT_LT(astarte_post, log.size());
  EXPECT_EQ(log[astarte_post].status, 201);
  EXPECT_LT(crd_post, crd_established);
  EXPECT_LT(crd_established, ns_post);
  EXPECT_LT(ns_post, ca_post);
  EXPECT_LT(ca_post, astarte_post);
  // Velero's priorities: PVs, PVCs, secrets, configmaps, ..., services, then the rest (deployments).
  EXPECT_LT(first(log, "POST", "/persistentvolumes"), first(log, "POST", "/persistentvolumeclaims"));
  EXPECT_LT(first(log, "POST", "/persistentvolumeclaims"), first(log, "POST", "/secrets"));
  EXPECT_LT(first(log, "POST", "/configmaps"), first(log, "POST", "/services"));
  EXPECT_LT(first(log, "POST", "/services"), first(log, "POST", "/deployments"));
  // Server-set fields were cleaned: the restored service got a fresh cluster IP, no stale uid.
  const json svc = json::parse(empty.object("", "services", "astronomer", "houston"));
  const json old = json::parse(source_.object("", "services", "astronomer", "houston"));
  EXPECT_NE(svc["metadata"]["uid"], old["metadata"]["uid"]);
  EXPECT_TRUE(svc["spec"].contains("clusterIP"));
}

TEST_F(K8sRestoreTest, CrdThatNeverBecomesEstablishedFailsOnlyItsCustomResources) {
  FakeApiServerOptions slow;
  slow.crd_establish_delay_ms = 60000;
  FakeApiServer empty(slow);
  K8sRestoreOptions o;
  o.crd_establish_timeout_seconds = 0.3;
  const RestoreRecord r = restore(empty, o);
  EXPECT_EQ(r.status, "PartiallyFailed");
  EXPECT_EQ(outcome(r, "astartes.api.astarte-platform.org", "astarte", "astarte"), "failed");
  EXPECT_EQ(outcome(r, "secrets", "astarte", "astarte-devices-ca"), "created");
}

TEST_F(K8sRestoreTest, NonePolicySkipsExistingObjectsAndUpdatePolicyPatchesThemBack) {
  Result<k8s::Discovery> d = source_client_->discover();
  ASSERT_TRUE(d.is_ok());
  ASSERT_TRUE(source_client_
                  ->merge_patch(*d->find("configmaps"), "astronomer", "houston-config",
                                R"({"data":{"production.yaml":"changed","extra":"x"}})")
                  .is_ok());
  K8sRestoreOptions o;
  o.include_namespaces = {"astronomer"};
  const RestoreRecord none = restore(source_, o);
  EXPECT_EQ(none.status, "Completed");
  EXPECT_EQ(outcome(none, "configmaps", "astronomer", "houston-config"), "skipped-exists");
  EXPECT_EQ(json::parse(source_.object("", "configmaps", "astronomer", "houston-config"))["data"]["extra"],
            "x");

  o.existing = ExistingResourcePolicy::kUpdate;
  const RestoreRecord update = restore(source_, o);
  EXPECT_EQ(update.status, "Completed") << (update.errors.empty() ? "" : update.errors[0]);
  EXPECT_EQ(outcome(update, "configmaps", "astronomer", "houston-config"), "updated");
  EXPECT_EQ(outcome(update, "deployments.apps", "astronomer", "houston"), "skipped-exists");
  const json cm = json::parse(source_.object("", "configmaps", "astronomer", "houston-config"));
  EXPECT_EQ(cm["data"], json({{"production.yaml", "deployments: {}"}}));
}

TEST_F(K8sRestoreTest, NamespaceMappingsRestoreIntoTheNewNamespaceAndLeaveTheOldOne) {
  K8sRestoreOptions o;
  o.include_namespaces = {kMeteor};
  o.namespace_mappings = {{kMeteor, "meteor-copy"}};
  const RestoreRecord r = restore(source_, o);
  EXPECT_EQ(r.status, "Completed");
  EXPECT_NE(source_.object("", "namespaces", "", "meteor-copy"), "");
  EXPECT_NE(source_.object("apps", "deployments", "meteor-copy", "weightless-meteor-5042-scheduler"), "");
  EXPECT_NE(source_.object("", "persistentvolumeclaims", "meteor-copy", "redis-data"), "");
  EXPECT_EQ(outcome(r, "deployments.apps", "meteor-copy", "weightless-meteor-5042-scheduler"), "created");
  EXPECT_EQ(source_.count("apps", "deployments"), 6u);  // 4 originals + 2 copies
}

TEST_F(K8sRestoreTest, ResourceModifierRewritesTheDatabaseEndpointOfASecret) {
  FakeApiServer empty;
  const std::string endpoint = "postgres://houston@db.new.example:5432/houston";
  K8sRestoreOptions o;
  o.resource_modifiers_yaml = R"(version: v1
resourceModifierRules:
- conditions:
    groupResource: secrets
    resourceNameRegex: "^astronomer-bootstrap$"
    namespaces: [astronomer]
  patches:
  - operation: replace
    path: /data/connection
    value: ")" + base64(endpoint) +
                              R"("
)";
  const RestoreRecord r = restore(empty, o);
  EXPECT_EQ(r.status, "Completed") << (r.errors.empty() ? "" : r.errors[0]);
  const json secret = json::parse(empty.object("", "secrets", "astronomer", "astronomer-bootstrap"));
  EXPECT_EQ(secret["data"]["connection"], base64(endpoint));
  const json other =
      json::parse(empty.object("", "secrets", kMeteor, "weightless-meteor-5042-airflow-metadata"));
  EXPECT_EQ(other["data"]["connection"], base64("postgresql://meteor@db.old.example:5432/meteor"));
}

TEST_F(K8sRestoreTest, ExcludedRedisPvcIsNeverRestored) {
  FakeApiServer empty;
  K8sRestoreOptions o;
  o.label_selector = "component!=redis";
  const RestoreRecord r = restore(empty, o);
  EXPECT_EQ(r.status, "Completed");
  EXPECT_EQ(empty.object("", "persistentvolumeclaims", kMeteor, "redis-data"), "");
  EXPECT_NE(empty.object("", "persistentvolumeclaims", kMeteor, "postgres-data"), "");
  FakeApiServer by_type;
  o.label_selector.clear();
  o.exclude_resources = {"persistentvolumeclaims"};
  restore(by_type, o);
  EXPECT_EQ(by_type.count("", "persistentvolumeclaims"), 0u);
  EXPECT_NE(by_type.object("", "secrets", "astarte", "astarte-devices-ca"), "");
}

TEST_F(K8sRestoreTest, PrioritiesOverrideReplacesTheDefaultOrder) {
  FakeApiServer empty;
  K8sRestoreOptions o;
  Result<RestorePriorities> p =
      parse_restore_priorities({"customresourcedefinitions", "namespaces", "services", "-", "secrets"});
  ASSERT_TRUE(p.is_ok());
  o.priorities = *p;
  restore(empty, o);
  const std::vector<testing::LoggedRequest> log = empty.requests();
  EXPECT_LT(first(log, "POST", "/services"), first(log, "POST", "/configmaps"));
  EXPECT_LT(first(log, "POST", "/deployments"), first(log, "POST", "/secrets"));
  EXPECT_FALSE(parse_restore_priorities({"a", "-", "b", "-"}).is_ok());
}

TEST_F(K8sRestoreTest, MalformedInputsFailBeforeTouchingTheCluster) {
  FakeApiServer empty;
  auto client = client_for(empty);
  K8sRestoreOptions o;
  o.name = "bad";
  o.resource_modifiers_yaml = "version: v1\nresourceModifierRules:\n- conditions: {}\n  patches: []\n";
  Result<RestoreRecord> r = run_k8s_restore(*repo_, backup_, *client, o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  o.resource_modifiers_yaml = "version: v1\nresourceModifierRules: [";
  EXPECT_EQ(run_k8s_restore(*repo_, backup_, *client, o).status().code(), ErrorCode::kInvalidArgument);
  o.resource_modifiers_yaml.clear();
  o.label_selector = "a in (";
  EXPECT_EQ(run_k8s_restore(*repo_, backup_, *client, o).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(empty.requests().empty());
  EXPECT_FALSE(parse_namespace_mappings({"nocolon"}).is_ok());
  EXPECT_FALSE(parse_namespace_mappings({"a:b", "a:c"}).is_ok());
  EXPECT_FALSE(parse_existing_resource_policy("overwrite").is_ok());
}

TEST(ResourceModifierGlob, StarStaysWithinOneDottedPart) {
  EXPECT_TRUE(group_resource_glob_matches("*", "secrets"));
  EXPECT_TRUE(group_resource_glob_matches("deployments.*", "deployments.apps"));
  EXPECT_FALSE(group_resource_glob_matches("*", "deployments.apps"));
  EXPECT_FALSE(group_resource_glob_matches("secret", "secrets"));
}

}  // namespace
}  // namespace cairn
