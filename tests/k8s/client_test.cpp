// The k8s client against the fake API server: discovery (CRDs included),
// paged and filtered lists, single-object calls, Status errors as sentences,
// bearer tokens, token files and TLS with a client certificate.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "k8s/k8s.h"
#include "k8s/test_pki.h"
#include "k8s_support/fake_apiserver.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace cairn::k8s {
namespace {

using nlohmann::json;
using testing::FakeApiServer;
using testing::FakeApiServerOptions;

ClusterConfig plain(const FakeApiServer& s) {
  ClusterConfig c;
  c.server = s.url();
  c.source = "test";
  return c;
}

const ApiResource& need(const Discovery& d, const char* name) {
  const ApiResource* r = d.find(name);
  if (r == nullptr) {
    ADD_FAILURE() << "discovery lacks " << name;
    static ApiResource none;
    return none;
  }
  return *r;
}

const char* kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"astartes.api.astarte-platform.org"},
  "spec":{"group":"api.astarte-platform.org","scope":"Namespaced",
          "names":{"plural":"astartes","singular":"astarte","kind":"Astarte"},
          "versions":[{"name":"v1alpha2","served":true,"storage":false},
                      {"name":"v1alpha3","served":true,"storage":true}]}})";

TEST(K8sClientTest, ServerVersionReachesTheServer) {
  FakeApiServer s;
  Client c(plain(s));
  const Result<std::string> v = c.server_version();
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  EXPECT_EQ(*v, "v1.30.0");
}

TEST(K8sClientTest, DiscoveryFindsBuiltinsAndCustomResourcesAtPreferredVersions) {
  FakeApiServer s;
  Client c(plain(s));
  Result<Discovery> d = c.discover();
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->find("astartes"), nullptr);
  const ApiResource& deploy = need(*d, "deploy");
  EXPECT_EQ(deploy.group_resource(), "deployments.apps");
  EXPECT_EQ(deploy.group_version(), "apps/v1");
  EXPECT_TRUE(deploy.namespaced);
  EXPECT_TRUE(deploy.supports("list"));
  EXPECT_EQ(need(*d, "Namespace").namespaced, false);
  EXPECT_EQ(need(*d, "configmaps").group_version(), "v1");

  ASSERT_TRUE(c.create(need(*d, "customresourcedefinitions.apiextensions.k8s.io"), "", kCrd).is_ok());
  d = c.discover();
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  const ApiResource& astarte = need(*d, "astartes.api.astarte-platform.org");
  EXPECT_EQ(astarte.version, "v1alpha3");  // the preferred of v1alpha2 and v1alpha3
  EXPECT_EQ(astarte.kind, "Astarte");
  EXPECT_TRUE(astarte.namespaced);
  EXPECT_TRUE(d->failed_groups.empty());
  // Sorted by Velero's group-resource name.
  for (size_t i = 1; i < d->resources.size(); ++i) {
    EXPECT_LT(d->resources[i - 1].group_resource(), d->resources[i].group_resource());
  }
}

TEST(K8sClientTest, ListFollowsContinueTokensAndRestoresKindOnItems) {
  FakeApiServer s;
  for (int i = 0; i < 25; ++i) {
    s.seed(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)" + std::to_string(100 + i) +
           R"(","namespace":"default"}})");
  }
  Client c(plain(s));
  const Discovery d = *c.discover();
  ListOptions o;
  o.page_size = 10;
  const Result<ObjectList> l = c.list(need(d, "configmaps"), "", o);
  ASSERT_TRUE(l.is_ok()) << l.status().message();
  EXPECT_EQ(l->pages, 3);
  ASSERT_EQ(l->items.size(), 25u);
  const json first = json::parse(l->items[0]);
  EXPECT_EQ(first["kind"], "ConfigMap");
  EXPECT_EQ(first["apiVersion"], "v1");
  EXPECT_EQ(json::parse(l->items[24])["metadata"]["name"], "cm-124");
  EXPECT_FALSE(l->resource_version.empty());
}

TEST(K8sClientTest, LabelSelectorsAreEscapedAndApplied) {
  FakeApiServer s;
  s.seed(
      R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"redis-data","namespace":"default",
    "labels":{"component":"redis"}}})");
  s.seed(
      R"({"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"db-data","namespace":"default",
    "labels":{"component":"postgresql","tier":"db"}}})");
  Client c(plain(s));
  const Discovery d = *c.discover();
  ListOptions o;
  o.label_selector = "component!=redis";
  Result<ObjectList> l = c.list(need(d, "pvc"), "default", o);
  ASSERT_TRUE(l.is_ok()) << l.status().message();
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(json::parse(l->items[0])["metadata"]["name"], "db-data");
  o.label_selector = "component in (redis,memcached),!tier";
  l = c.list(need(d, "pvc"), "default", o);
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(json::parse(l->items[0])["metadata"]["name"], "redis-data");
  o.label_selector = "bad key==";
  l = c.list(need(d, "pvc"), "default", o);
  ASSERT_FALSE(l.is_ok());
  EXPECT_EQ(l.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(l.status().message().find("cannot list persistentvolumeclaims in namespace \"default\""),
            std::string::npos)
      << l.status().message();
}

TEST(K8sClientTest, CreateGetPatchDeleteRoundTripWithPlainErrors) {
  FakeApiServer s;
  Client c(plain(s));
  const Discovery d = *c.discover();
  const ApiResource& secrets = need(d, "secrets");
  const std::string obj = R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"astarte-devices-ca"},
                              "data":{"tls.crt":"Y2E="}})";
  const Result<std::string> created = c.create(secrets, "default", obj);
  ASSERT_TRUE(created.is_ok()) << created.status().message();
  EXPECT_EQ(json::parse(*created)["metadata"]["namespace"], "default");

  const Result<std::string> again = c.create(secrets, "default", obj);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(
      again.status().message(),
      "cannot create secrets \"astarte-devices-ca\" in namespace \"default\": secrets \"astarte-devices-ca\" "
      "already exists");

  const Result<std::string> patched = c.merge_patch(secrets, "default", "astarte-devices-ca",
                                                    R"({"metadata":{"labels":{"restored":"yes"}}})");
  ASSERT_TRUE(patched.is_ok()) << patched.status().message();
  EXPECT_EQ(json::parse(*c.get(secrets, "default", "astarte-devices-ca"))["metadata"]["labels"]["restored"],
            "yes");

  ASSERT_TRUE(c.remove(secrets, "default", "astarte-devices-ca").is_ok());
  const Result<std::string> gone = c.get(secrets, "default", "astarte-devices-ca");
  ASSERT_FALSE(gone.is_ok());
  EXPECT_EQ(gone.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(gone.status().message(),
            "cannot get secrets \"astarte-devices-ca\" in namespace \"default\": secrets "
            "\"astarte-devices-ca\" not "
            "found");
  const Status again_gone = c.remove(secrets, "default", "astarte-devices-ca");
  EXPECT_EQ(again_gone.code(), ErrorCode::kNotFound);
}

TEST(K8sClientTest, CreateRefusesTextThatIsNotAnObject) {
  FakeApiServer s;
  Client c(plain(s));
  const Discovery d = *c.discover();
  const Result<std::string> r = c.create(need(d, "configmaps"), "default", "[1,2]");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(s.requests().size() > 0 && s.requests().back().method == "GET");  // nothing was sent
}

TEST(K8sClientTest, WrongBearerTokenIsPermissionDeniedNamingTheContext) {
  FakeApiServerOptions o;
  o.bearer_token = "right";
  FakeApiServer s(o);
  ClusterConfig cfg = plain(s);
  cfg.context = "prod";
  cfg.token = "wrong";
  Client c(cfg);
  const Result<Discovery> d = c.discover();
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(d.status().message().find("rejected cairn's credentials"), std::string::npos);
  EXPECT_NE(d.status().message().find("of context \"prod\""), std::string::npos) << d.status().message();
}

TEST(K8sClientTest, TokenFileIsReadAtEachRequest) {
  TempDir dir;
  FakeApiServerOptions o;
  o.bearer_token = "rotated";
  FakeApiServer s(o);
  ClusterConfig cfg = plain(s);
  cfg.token_file = dir.file("token");
  std::ofstream(cfg.token_file) << "old\n";
  Client c(cfg);
  EXPECT_EQ(c.server_version().status().code(), ErrorCode::kPermissionDenied);
  std::ofstream(cfg.token_file) << "rotated\n";
  EXPECT_TRUE(c.server_version().is_ok());
}

TEST(K8sClientTest, UnreachableServerIsAnIoErrorNamingIt) {
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:1";
  Client c(cfg);
  const Result<std::string> v = c.server_version();
  ASSERT_FALSE(v.is_ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kIoError);
  EXPECT_NE(v.status().message().find("cannot reach the Kubernetes API server http://127.0.0.1:1"),
            std::string::npos);
}

TEST(K8sClientTest, TlsWithClientCertificateFromKubeconfig) {
  TempDir d;
  Pki pki(d);
  if (::testing::Test::HasFatalFailure()) return;
  FakeApiServerOptions o;
  o.tls_cert_file = d.file("server.crt");
  o.tls_key_file = d.file("server.key");
  o.client_ca_file = d.file("ca.crt");
  FakeApiServer s(o);
  KubeconfigOptions ko;
  ko.kubeconfig_env = "";
  ko.home = d.path();
  ko.path = s.write_kubeconfig(d.file("kubeconfig"), "", d.file("ca.crt"), d.file("client.crt"),
                               d.file("client.key"));
  Result<ClusterConfig> cfg = load_kubeconfig(ko);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().message();
  Client c(*cfg);
  const Result<Discovery> disc = c.discover();
  ASSERT_TRUE(disc.is_ok()) << disc.status().message();
  EXPECT_NE(disc->find("deployments"), nullptr);

  // Without the client certificate the server knows nobody.
  ClusterConfig anonymous = *cfg;
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  EXPECT_EQ(Client(anonymous).server_version().status().code(), ErrorCode::kPermissionDenied);

  // Without the CA the server's certificate is not trusted...
  ClusterConfig untrusted = *cfg;
  untrusted.ca_pem.clear();
  const Status tls = Client(untrusted).server_version().status();
  EXPECT_EQ(tls.code(), ErrorCode::kIoError);
  EXPECT_NE(tls.message().find("TLS connection"), std::string::npos) << tls.message();
  // ...unless verification is switched off, as insecure-skip-tls-verify does.
  untrusted.insecure_skip_tls_verify = true;
  EXPECT_TRUE(Client(untrusted).server_version().is_ok());
}

}  // namespace
}  // namespace cairn::k8s
