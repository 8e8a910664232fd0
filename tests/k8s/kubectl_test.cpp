// The fake API server is only worth what its fidelity is: these tests drive
// it with the real kubectl and check what kubectl prints and what the server
// then holds. Skipped (with a message) where no kubectl is installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "k8s/test_pki.h"
#include "k8s_support/fake_apiserver.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::FakeApiServer;

bool have_kubectl() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  size_t start = 0;
  while (start <= p.size()) {
    size_t colon = p.find(':', start);
    if (colon == std::string::npos) colon = p.size();
    const std::string candidate = p.substr(start, colon - start) + "/kubectl";
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = colon + 1;
  }
  return false;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_kubectl()) GTEST_SKIP() << "no kubectl on PATH (install Debian's kubernetes-client)";
    kubeconfig_ = server_.write_kubeconfig(dir_.file("kubeconfig"));
  }

  CommandResult kubectl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig_, "--cache-dir",
                                     dir_.file("cache")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {{"HOME", dir_.path()}, {"KUBECONFIG", ""}});
  }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.file(name)) << text;
    return dir_.file(name);
  }

  TempDir dir_;
  FakeApiServer server_;
  std::string kubeconfig_;
};

const char* kPlatform = R"(apiVersion: v1
kind: Namespace
metadata:
  name: astronomer
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: astronomer
  labels: {app: web, tier: front}
data:
  key: value
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: db-config
  namespace: astronomer
  labels: {app: db}
data:
  key: other
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: webserver
  namespace: astronomer
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
)";

TEST_F(KubectlTest, GetNamespacesListsTheClusterNamespaces) {
  const CommandResult r = kubectl({"get", "ns"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NAME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kube-system"), std::string::npos) << r.out;
  // No server-side Table printing here: kubectl prints the plain list itself
  // (NAME, AGE), so the phase is checked in the JSON form.
  const CommandResult j = kubectl({"get", "ns", "default", "-o", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)["status"]["phase"], "Active");
}

TEST_F(KubectlTest, CreateFromFileStoresObjectsWithServerSetMetadata) {
  const CommandResult c = kubectl({"create", "--validate=false", "-f", write("p.yaml", kPlatform)});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("namespace/astronomer created"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("deployment.apps/webserver created"), std::string::npos) << c.out;

  const CommandResult g = kubectl({"get", "deploy", "-A", "-o", "json"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const json list = json::parse(g.out);
  ASSERT_EQ(list["items"].size(), 1u) << g.out;
  const json& d = list["items"][0];
  EXPECT_EQ(d["kind"], "Deployment");  // kubectl puts kind back on each item
  EXPECT_EQ(d["metadata"]["name"], "webserver");
  EXPECT_EQ(d["metadata"]["namespace"], "astronomer");
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_EQ(d["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(d["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_FALSE(d["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(d["spec"]["replicas"], 2);
}

TEST_F(KubectlTest, CreatingAnExistingObjectFailsWithAlreadyExists) {
  const std::string f = write("p.yaml", kPlatform);
  ASSERT_EQ(kubectl({"create", "--validate=false", "-f", f}).exit_code, 0);
  const CommandResult again = kubectl({"create", "--validate=false", "-f", f});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("Error from server (AlreadyExists)"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("configmaps \"web-config\" already exists"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("deployments.apps \"webserver\" already exists"), std::string::npos) << again.err;
}

TEST_F(KubectlTest, ApplyCreatesThenLeavesUnchangedThenPatchesAChange) {
  const std::string cm = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: backup-config
  namespace: default
data:
  schedule: "@daily"
)";
  const CommandResult first = kubectl({"apply", "--validate=false", "-f", write("cm.yaml", cm)});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("configmap/backup-config created"), std::string::npos) << first.out;
  const CommandResult second = kubectl({"apply", "--validate=false", "-f", dir_.file("cm.yaml")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("configmap/backup-config unchanged"), std::string::npos) << second.out;

  std::string changed = cm;
  changed.replace(changed.find("@daily"), 6, "@hourly");
  const CommandResult third = kubectl({"apply", "--validate=false", "-f", write("cm.yaml", changed)});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.out.find("configmap/backup-config configured"), std::string::npos) << third.out;
  const json stored = json::parse(server_.object("", "configmaps", "default", "backup-config"));
  EXPECT_EQ(stored["data"]["schedule"], "@hourly");
}

TEST_F(KubectlTest, DeleteRemovesTheObjectAndGetThenReportsNotFound) {
  ASSERT_EQ(kubectl({"create", "--validate=false", "-f", write("p.yaml", kPlatform)}).exit_code, 0);
  const CommandResult d = kubectl({"delete", "configmap", "web-config", "-n", "astronomer"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("configmap \"web-config\" deleted"), std::string::npos) << d.out;
  EXPECT_EQ(server_.object("", "configmaps", "astronomer", "web-config"), "");
  const CommandResult g = kubectl({"get", "cm", "web-config", "-n", "astronomer"});
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.err.find("Error from server (NotFound): configmaps \"web-config\" not found"),
            std::string::npos)
      << g.err;
}

TEST_F(KubectlTest, DeletingANamespaceRemovesItsObjects) {
  ASSERT_EQ(kubectl({"create", "--validate=false", "-f", write("p.yaml", kPlatform)}).exit_code, 0);
  const CommandResult d = kubectl({"delete", "namespace", "astronomer"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(server_.count("", "configmaps"), 0u);
  EXPECT_EQ(server_.count("apps", "deployments"), 0u);
  const CommandResult g = kubectl({"get", "ns", "-o", "name"});
  EXPECT_EQ(g.out.find("astronomer"), std::string::npos) << g.out;
}

TEST_F(KubectlTest, LabelSelectorsFilterTheList) {
  ASSERT_EQ(kubectl({"create", "--validate=false", "-f", write("p.yaml", kPlatform)}).exit_code, 0);
  CommandResult r = kubectl({"get", "cm", "-A", "-l", "app=web", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "configmap/web-config\n");
  r = kubectl({"get", "cm", "-n", "astronomer", "-l", "app!=web,app", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "configmap/db-config\n");
  r = kubectl({"get", "cm", "-n", "astronomer", "-l", "app in (db,web),!tier", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "configmap/db-config\n");
}

TEST_F(KubectlTest, ChunkedListFollowsContinueTokensToTheEnd) {
  for (int i = 0; i < 5; ++i) {
    server_.seed(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c)" + std::to_string(i) +
                 R"(","namespace":"default"}})");
  }
  server_.clear_requests();
  const CommandResult r = kubectl({"get", "cm", "-n", "default", "--chunk-size=2", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "configmap/c0\nconfigmap/c1\nconfigmap/c2\nconfigmap/c3\nconfigmap/c4\n");
  int pages = 0;
  for (const auto& req : server_.requests()) {
    if (req.path == "/api/v1/namespaces/default/configmaps") pages++;
  }
  EXPECT_EQ(pages, 3);
}

const char* kAstarteCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: astartes.api.astarte-platform.org
spec:
  group: api.astarte-platform.org
  scope: Namespaced
  names:
    plural: astartes
    singular: astarte
    kind: Astarte
    listKind: AstarteList
  versions:
  - name: v1alpha2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v1alpha3
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
)";

TEST_F(KubectlTest, ACreatedCrdMakesItsCustomResourcesServedAndListed) {
  ASSERT_EQ(kubectl({"create", "--validate=false", "-f", write("crd.yaml", kAstarteCrd)}).exit_code, 0);
  const CommandResult ar = kubectl({"api-resources"});
  ASSERT_EQ(ar.exit_code, 0) << ar.err;
  EXPECT_NE(ar.out.find("astartes"), std::string::npos) << ar.out;
  EXPECT_NE(ar.out.find("api.astarte-platform.org/v1alpha3"), std::string::npos) << ar.out;
  EXPECT_NE(ar.out.find("deployments"), std::string::npos) << ar.out;

  const CommandResult crd = kubectl({"get", "crd", "astartes.api.astarte-platform.org", "-o", "json"});
  ASSERT_EQ(crd.exit_code, 0) << crd.err;
  bool established = false;
  const json crd_json = json::parse(crd.out);
  for (const json& c : crd_json["status"]["conditions"]) {
    if (c["type"] == "Established" && c["status"] == "True") established = true;
  }
  EXPECT_TRUE(established) << crd.out;

  ASSERT_EQ(kubectl({"create", "namespace", "astarte"}).exit_code, 0);
  const std::string cr = R"(apiVersion: api.astarte-platform.org/v1alpha3
kind: Astarte
metadata:
  name: astarte
  namespace: astarte
spec:
  version: 1.1.1
)";
  const CommandResult c = kubectl({"apply", "--validate=false", "-f", write("cr.yaml", cr)});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("astarte.api.astarte-platform.org/astarte created"), std::string::npos) << c.out;
  const CommandResult g = kubectl({"get", "astartes", "-n", "astarte", "-o", "json"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const json list = json::parse(g.out);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["spec"]["version"], "1.1.1");
  EXPECT_EQ(list["items"][0]["apiVersion"], "api.astarte-platform.org/v1alpha3");

  ASSERT_EQ(kubectl({"delete", "crd", "astartes.api.astarte-platform.org"}).exit_code, 0);
  const CommandResult gone = kubectl({"get", "astartes", "-n", "astarte"});
  EXPECT_NE(gone.exit_code, 0);
  // kubectl's discovery cache may still name the type; either way the server says it is gone.
  EXPECT_TRUE(gone.err.find("doesn't have a resource type \"astartes\"") != std::string::npos ||
              gone.err.find("the server could not find the requested resource") != std::string::npos)
      << gone.err;
}

TEST(KubectlTlsTest, KubectlAuthenticatesWithAClientCertificateOrATokenOverTls) {
  if (!have_kubectl()) GTEST_SKIP() << "no kubectl on PATH (install Debian's kubernetes-client)";
  TempDir d;
  k8s::Pki pki(d);
  if (HasFatalFailure()) return;
  testing::FakeApiServerOptions o;
  o.tls_cert_file = d.file("server.crt");
  o.tls_key_file = d.file("server.key");
  o.client_ca_file = d.file("ca.crt");
  o.bearer_token = "robot-token";
  FakeApiServer s(o);
  const auto kubectl = [&](const std::string& config) {
    return run_command(
        {"kubectl", "--kubeconfig", config, "--cache-dir", d.file("cache"), "get", "ns", "-o", "name"},
        {{"HOME", d.path()}, {"KUBECONFIG", ""}});
  };
  CommandResult r = kubectl(s.write_kubeconfig(d.file("cert.kubeconfig"), "", d.file("ca.crt"),
                                               d.file("client.crt"), d.file("client.key")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("namespace/default"), std::string::npos) << r.out;
  r = kubectl(s.write_kubeconfig(d.file("token.kubeconfig"), "robot-token", d.file("ca.crt")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // (With no credentials at all kubectl would prompt for a user name.)
  r = kubectl(s.write_kubeconfig(d.file("wrong.kubeconfig"), "wrong-token", d.file("ca.crt")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Unauthorized"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn
