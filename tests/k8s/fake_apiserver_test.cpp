// The fake API server's wire details that kubectl does not show: the exact
// Status bodies, authentication, paging tokens and the request log. Driven
// with the curl program, so nothing of cairn's own client is involved.
#include "k8s_support/fake_apiserver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/run_command.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::FakeApiServer;
using testing::FakeApiServerOptions;

struct Reply {
  int code = 0;
  json body;
};

Reply call(const FakeApiServer& s, const std::string& method, const std::string& path,
           const std::string& body = "", std::vector<std::string> headers = {}) {
  std::vector<std::string> argv = {"curl", "-s", "-X", method, "-w", "\n%{http_code}", s.url() + path};
  if (!body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back(body);
    headers.push_back("Content-Type: application/json");
  }
  for (const std::string& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  const CommandResult r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const size_t nl = r.out.rfind('\n');
  Reply reply;
  reply.code = std::stoi(r.out.substr(nl + 1));
  reply.body = json::parse(r.out.substr(0, nl), nullptr, false);
  return reply;
}

const std::string kCm =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"a":"1"}})";

TEST(FakeApiServerTest, MissingObjectIsA404StatusShapedAsTheApiServers) {
  FakeApiServer s;
  const Reply r = call(s, "GET", "/api/v1/namespaces/default/configmaps/nope");
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.body, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},
      "code":404})"));
  const Reply g = call(s, "GET", "/apis/apps/v1/namespaces/default/deployments/web");
  EXPECT_EQ(g.body["message"], "deployments.apps \"web\" not found");
  EXPECT_EQ(g.body["details"]["group"], "apps");
}

TEST(FakeApiServerTest, CreateAnswers201ThenA409AlreadyExists) {
  FakeApiServer s;
  const Reply first = call(s, "POST", "/api/v1/namespaces/default/configmaps", kCm);
  EXPECT_EQ(first.code, 201);
  EXPECT_EQ(first.body["metadata"]["namespace"], "default");
  const Reply again = call(s, "POST", "/api/v1/namespaces/default/configmaps", kCm);
  EXPECT_EQ(again.code, 409);
  EXPECT_EQ(again.body["reason"], "AlreadyExists");
  EXPECT_EQ(again.body["status"], "Failure");
  EXPECT_EQ(again.body["message"], "configmaps \"cfg\" already exists");
}

TEST(FakeApiServerTest, CreateInAMissingNamespaceIsNotFound) {
  FakeApiServer s;
  const Reply r = call(s, "POST", "/api/v1/namespaces/ghost/configmaps", kCm);
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.body["message"], "namespaces \"ghost\" not found");
}

TEST(FakeApiServerTest, InvalidNameIsA422Invalid) {
  FakeApiServer s;
  const Reply r = call(s, "POST", "/api/v1/namespaces/default/configmaps",
                       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}})");
  EXPECT_EQ(r.code, 422);
  EXPECT_EQ(r.body["reason"], "Invalid");
  EXPECT_EQ(r.body["details"]["causes"][0]["field"], "metadata.name");
}

TEST(FakeApiServerTest, MergePatchChangesFieldsAndBumpsResourceVersion) {
  FakeApiServer s;
  const json created = call(s, "POST", "/api/v1/namespaces/default/configmaps", kCm).body;
  const Reply p = call(s, "PATCH", "/api/v1/namespaces/default/configmaps/cfg",
                       R"({"data":{"a":null,"b":"2"}})", {"Content-Type: application/merge-patch+json"});
  EXPECT_EQ(p.code, 200);
  EXPECT_EQ(p.body["data"], json::parse(R"({"b":"2"})"));
  EXPECT_EQ(p.body["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_NE(p.body["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
}

TEST(FakeApiServerTest, UpdateWithAStaleResourceVersionIsAConflict) {
  FakeApiServer s;
  json obj = call(s, "POST", "/api/v1/namespaces/default/configmaps", kCm).body;
  obj["data"]["a"] = "changed";
  EXPECT_EQ(call(s, "PUT", "/api/v1/namespaces/default/configmaps/cfg", obj.dump()).code, 200);
  const Reply stale = call(s, "PUT", "/api/v1/namespaces/default/configmaps/cfg", obj.dump());
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.body["reason"], "Conflict");
}

TEST(FakeApiServerTest, ServicesGetAClusterIpThatCannotBeTakenTwice) {
  FakeApiServer s;
  const std::string svc =
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}})";
  const Reply a = call(s, "POST", "/api/v1/namespaces/default/services", svc);
  ASSERT_EQ(a.code, 201);
  const std::string ip = a.body["spec"]["clusterIP"];
  EXPECT_EQ(a.body["spec"]["clusterIPs"][0], ip);
  json b = json::parse(svc);
  b["metadata"]["name"] = "b";
  b["spec"]["clusterIP"] = ip;
  const Reply taken = call(s, "POST", "/api/v1/namespaces/default/services", b.dump());
  EXPECT_EQ(taken.code, 422);
  EXPECT_NE(taken.body["message"].get<std::string>().find("provided IP is already allocated"),
            std::string::npos);
}

TEST(FakeApiServerTest, PagingHandsOutContinueTokensAndRejectsForgedOnes) {
  FakeApiServer s;
  for (int i = 0; i < 3; ++i) {
    s.seed(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s)" + std::to_string(i) +
           R"(","namespace":"default"},"stringData":{"k":"v"}})");
  }
  const Reply page = call(s, "GET", "/api/v1/secrets?limit=2");
  EXPECT_EQ(page.body["kind"], "SecretList");
  ASSERT_EQ(page.body["items"].size(), 2u);
  EXPECT_FALSE(page.body["items"][0].contains("kind"));   // typed lists: kind only on the list
  EXPECT_EQ(page.body["items"][0]["data"]["k"], "dg==");  // stringData became data
  EXPECT_EQ(page.body["metadata"]["remainingItemCount"], 1);
  const std::string token = page.body["metadata"]["continue"];
  const Reply rest = call(s, "GET", "/api/v1/secrets?limit=2&continue=" + token);
  ASSERT_EQ(rest.body["items"].size(), 1u);
  EXPECT_EQ(rest.body["items"][0]["metadata"]["name"], "s2");
  EXPECT_FALSE(rest.body["metadata"].contains("continue"));
  EXPECT_EQ(call(s, "GET", "/api/v1/secrets?limit=2&continue=garbage").code, 400);
}

TEST(FakeApiServerTest, BearerTokenIsRequiredWhenConfigured) {
  FakeApiServerOptions o;
  o.bearer_token = "s3cret";
  FakeApiServer s(o);
  const Reply no = call(s, "GET", "/api/v1/namespaces");
  EXPECT_EQ(no.code, 401);
  EXPECT_EQ(no.body["reason"], "Unauthorized");
  EXPECT_EQ(call(s, "GET", "/api/v1/namespaces", "", {"Authorization: Bearer wrong"}).code, 401);
  EXPECT_EQ(call(s, "GET", "/api/v1/namespaces", "", {"Authorization: Bearer s3cret"}).code, 200);
}

TEST(FakeApiServerTest, CustomResourcesAreServedOnlyOnceTheCrdIsEstablished) {
  FakeApiServerOptions o;
  o.crd_establish_delay_ms = 1500;  // long enough for a loaded machine to look before it passes
  FakeApiServer s(o);
  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"ingresses.api.astarte-platform.org"},
    "spec":{"group":"api.astarte-platform.org","scope":"Namespaced",
            "names":{"plural":"ingresses","kind":"AstarteVoyagerIngress"},
            "versions":[{"name":"v1alpha1","served":true,"storage":true}]}})";
  ASSERT_EQ(call(s, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).code, 201);
  const Reply early = call(s, "GET",
                           "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                           "ingresses.api.astarte-platform.org");
  EXPECT_EQ(early.body["status"]["conditions"][1]["type"], "Established");
  EXPECT_EQ(early.body["status"]["conditions"][1]["status"], "False");
  EXPECT_EQ(call(s, "GET", "/apis/api.astarte-platform.org/v1alpha1/namespaces/default/ingresses").code, 404);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  EXPECT_EQ(call(s, "GET", "/apis/api.astarte-platform.org/v1alpha1/namespaces/default/ingresses").code, 200);
  const Reply groups = call(s, "GET", "/apis");
  bool listed = false;
  for (const json& g : groups.body["groups"]) listed |= g["name"] == "api.astarte-platform.org";
  EXPECT_TRUE(listed);
}

TEST(FakeApiServerTest, RequestLogKeepsArrivalOrderMethodPathAndStatus) {
  FakeApiServer s;
  call(s, "POST", "/api/v1/namespaces/default/configmaps", kCm);
  call(s, "DELETE", "/api/v1/namespaces/default/configmaps/cfg");
  call(s, "GET", "/api/v1/namespaces/default/configmaps/cfg?x=1");
  const auto log = s.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].method, "POST");
  EXPECT_EQ(log[0].status, 201);
  EXPECT_EQ(log[1].method, "DELETE");
  EXPECT_EQ(log[1].status, 200);
  EXPECT_EQ(log[2].path, "/api/v1/namespaces/default/configmaps/cfg");
  EXPECT_EQ(log[2].query, "x=1");
  EXPECT_EQ(log[2].status, 404);
  EXPECT_LT(log[0].seq, log[1].seq);
}

}  // namespace
}  // namespace cairn
