// Kubeconfig and in-cluster settings: the same files and flags must reach
// the same cluster as kubectl, and every bad setup gets a clear sentence.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/bytes.h"
#include "k8s/k8s.h"
#include "support/temp_dir.h"

namespace cairn::k8s {
namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string b64(const std::string& s) {
  return base64_encode(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

const char* kTwoContexts = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority: certs/prod-ca.pem
- name: dr
  cluster:
    server: https://dr.example:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: tok-admin
- name: robot
  user:
    tokenFile: robot.token
contexts:
- name: prod
  context: {cluster: prod, user: admin, namespace: astronomer}
- name: dr
  context: {cluster: dr, user: robot}
current-context: prod
)";

KubeconfigOptions isolated(const TempDir& d) {
  KubeconfigOptions o;
  o.kubeconfig_env = "";
  o.home = d.path();
  return o;
}

TEST(KubeconfigTest, ExplicitFileUsesItsCurrentContextAndResolvesRelativePaths) {
  TempDir d;
  write(d.file("cfg/config"), kTwoContexts);
  write(d.file("cfg/certs/prod-ca.pem"), "PEM-OF-PROD-CA");
  KubeconfigOptions o = isolated(d);
  o.path = d.file("cfg/config");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://prod.example:6443");
  EXPECT_EQ(c->context, "prod");
  EXPECT_EQ(c->default_namespace, "astronomer");
  EXPECT_EQ(c->ca_pem, "PEM-OF-PROD-CA");
  EXPECT_EQ(c->token, "tok-admin");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
}

TEST(KubeconfigTest, ContextFlagOverridesCurrentContext) {
  TempDir d;
  write(d.file("config"), kTwoContexts);
  KubeconfigOptions o = isolated(d);
  o.path = d.file("config");
  o.context = "dr";
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://dr.example:6443");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->default_namespace, "default");
  EXPECT_EQ(c->token, "");
  EXPECT_EQ(c->token_file, d.file("robot.token"));
}

TEST(KubeconfigTest, UnknownContextIsNotFoundAndNamesTheKnownOnes) {
  TempDir d;
  write(d.file("config"), kTwoContexts);
  KubeconfigOptions o = isolated(d);
  o.path = d.file("config");
  o.context = "staging";
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(c.status().message().find("context \"staging\" is not in kubeconfig"), std::string::npos);
  EXPECT_NE(c.status().message().find("known: dr, prod"), std::string::npos) << c.status().message();
}

TEST(KubeconfigTest, KubeconfigVariableMergesFilesFirstDefinitionWinsMissingFilesSkipped) {
  TempDir d;
  write(d.file("a"), R"(clusters:
- name: shared
  cluster: {server: "https://first.example"}
current-context: main
)");
  write(d.file("b"), R"(clusters:
- name: shared
  cluster: {server: "https://second.example"}
users:
- name: u
  user: {token: from-b}
contexts:
- name: main
  context: {cluster: shared, user: u}
current-context: other
)");
  KubeconfigOptions o = isolated(d);
  o.kubeconfig_env = d.file("missing") + ":" + d.file("a") + ":" + d.file("b");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://first.example");
  EXPECT_EQ(c->context, "main");
  EXPECT_EQ(c->token, "from-b");
}

TEST(KubeconfigTest, KubeconfigVariableNamingOnlyMissingFilesIsNotFound) {
  TempDir d;
  KubeconfigOptions o = isolated(d);
  o.kubeconfig_env = d.file("x") + ":" + d.file("y");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(c.status().message().find("none of the files in KUBECONFIG"), std::string::npos);
}

TEST(KubeconfigTest, HomeKubeConfigIsTheFallback) {
  TempDir d;
  write(d.file(".kube/config"), kTwoContexts);
  const Result<ClusterConfig> c = load_kubeconfig(isolated(d));
  ASSERT_FALSE(c.is_ok());  // prod's relative CA file does not exist next to ~/.kube/config
  EXPECT_NE(c.status().message().find(d.file(".kube/certs/prod-ca.pem")), std::string::npos)
      << c.status().message();
  KubeconfigOptions o = isolated(d);
  o.context = "dr";
  const Result<ClusterConfig> dr = load_kubeconfig(o);
  ASSERT_TRUE(dr.is_ok()) << dr.status().message();
  EXPECT_EQ(dr->source, d.file(".kube/config"));
}

TEST(KubeconfigTest, NoConfigurationAnywhereSaysHowToGiveOne) {
  TempDir d;
  const Result<ClusterConfig> c = load_kubeconfig(isolated(d));
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("--kubeconfig was not given"), std::string::npos);
}

TEST(KubeconfigTest, DataFieldsAreDecodedAndBadBase64IsRefused) {
  TempDir d;
  write(d.file("config"),
        "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
        "    certificate-authority-data: " +
            b64("CA-PEM") +
            "\n"
            "users:\n- name: u\n  user:\n    client-certificate-data: " +
            b64("CERT-PEM") +
            "\n"
            "    client-key-data: " +
            b64("KEY-PEM") +
            "\n"
            "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  KubeconfigOptions o = isolated(d);
  o.path = d.file("config");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->ca_pem, "CA-PEM");
  EXPECT_EQ(c->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(c->client_key_pem, "KEY-PEM");

  write(d.file("bad"),
        "clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority-data: '!!!'}\n"
        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n");
  o.path = d.file("bad");
  const Result<ClusterConfig> bad = load_kubeconfig(o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("certificate-authority-data of cluster \"c\""), std::string::npos);
}

TEST(KubeconfigTest, ClientCertificateWithoutKeyIsRefused) {
  TempDir d;
  write(d.file("config"),
        "clusters:\n- name: c\n  cluster: {server: https://x}\n"
        "users:\n- name: u\n  user: {client-certificate-data: " +
            b64("CERT") +
            "}\n"
            "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  KubeconfigOptions o = isolated(d);
  o.path = d.file("config");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("without its key"), std::string::npos);
}

TEST(KubeconfigTest, ExecPluginsAreRefusedWithWhatToUseInstead) {
  TempDir d;
  write(d.file("config"), R"(clusters:
- name: eks
  cluster: {server: "https://eks.example"}
users:
- name: aws
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}
contexts:
- name: eks
  context: {cluster: eks, user: aws}
current-context: eks
)");
  KubeconfigOptions o = isolated(d);
  o.path = d.file("config");
  const Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(c.status().message().find("give it a token"), std::string::npos);
}

TEST(KubeconfigTest, MalformedYamlAndEmptyCurrentContextAreClearErrors) {
  TempDir d;
  write(d.file("broken"), "clusters: [\n  - name: x\n   bad indent: {\n");
  KubeconfigOptions o = isolated(d);
  o.path = d.file("broken");
  Result<ClusterConfig> c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("is not valid YAML"), std::string::npos);

  write(d.file("nocontext"), "clusters:\n- name: c\n  cluster: {server: https://x}\n");
  o.path = d.file("nocontext");
  c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("pass --context NAME"), std::string::npos);

  write(d.file("shape"),
        "clusters:\n- name: c\n  cluster: https://x\n"
        "contexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n");
  o.path = d.file("shape");
  c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("does not have the shape kubectl expects"), std::string::npos)
      << c.status().message();

  o.path = d.file("does-not-exist");
  c = load_kubeconfig(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
}

TEST(InClusterConfigTest, ReadsTheServiceAccountMount) {
  TempDir d;
  write(d.file("sa/token"), "sa-token\n");
  write(d.file("sa/ca.crt"), "CLUSTER-CA");
  write(d.file("sa/namespace"), "velero\n");
  InClusterOptions o;
  o.account_dir = d.file("sa");
  o.service_host = "10.96.0.1";
  o.service_port = "443";
  const Result<ClusterConfig> c = load_in_cluster_config(o);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, d.file("sa/token"));
  EXPECT_EQ(c->ca_pem, "CLUSTER-CA");
  EXPECT_EQ(c->default_namespace, "velero");

  o.service_host = "fd00::1";
  EXPECT_EQ(load_in_cluster_config(o)->server, "https://[fd00::1]:443");
}

TEST(InClusterConfigTest, OutsideAPodOrWithoutTokenIsAnError) {
  TempDir d;
  InClusterOptions o;
  o.account_dir = d.file("sa");
  o.service_host = "";
  o.service_port = "";
  Result<ClusterConfig> c = load_in_cluster_config(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("not running in a Kubernetes pod"), std::string::npos);
  o.service_host = "10.96.0.1";
  o.service_port = "443";
  c = load_in_cluster_config(o);
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("service account token"), std::string::npos);
}

}  // namespace
}  // namespace cairn::k8s
