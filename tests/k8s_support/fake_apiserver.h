// FakeApiServer: an in-memory Kubernetes API server for tests (never shipped).
//
// No real kube-apiserver can be had on the build machines, so the k8s client,
// backup and restore are tested against this double instead. It follows the
// wire protocol closely enough that the real `kubectl` drives it (the kubectl
// tests prove that): discovery documents, list/get/create/update/patch/delete
// on namespaced and cluster-scoped paths, label selectors, limit/continue
// paging, server-set metadata, CRDs that make their custom resources served,
// and errors as JSON `Status` objects shaped exactly as the API server's.
//
// Deliberate simplifications (documented so tests do not rely on them): no
// server-side Table printing (kubectl prints NAME/AGE from the plain list);
// strategic merge patch is applied as a JSON merge patch; there is no watch,
// no admission, no garbage collection by owner references, and namespace
// deletion removes the namespace's objects at once (no Terminating phase).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cairn::testing {

struct FakeApiServerOptions {
  // TLS: PEM files of the server's certificate and key. Empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // With TLS: client certificates signed by this CA authenticate a request.
  std::string client_ca_file;
  // A request must carry "Authorization: Bearer <token>" (or, with
  // client_ca_file, a verified client certificate). Empty with no client CA:
  // every request is allowed.
  std::string bearer_token;
  // How long after its creation a CRD becomes Established (and its custom
  // resources served). Real servers take a moment; restores must wait.
  int64_t crd_establish_delay_ms = 0;
  // Group-resources ("secrets", "deployments.apps") whose list and get
  // answer 500 InternalError: an API that fails for one type.
  std::vector<std::string> failing_resources;
};

// One request as the server saw it, in arrival order.
struct LoggedRequest {
  uint64_t seq = 0;    // 1, 2, 3... in the order the server handled them
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // without the query string
  std::string query;   // "limit=500&labelSelector=app%3Dweb", may be empty
  int status = 0;      // the HTTP status the server answered
};

class FakeApiServer {
 public:
  // Starts serving on 127.0.0.1 at a free port; aborts the test program if
  // it cannot (a test without its server cannot mean anything).
  explicit FakeApiServer(FakeApiServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string url() const;

  // Writes a kubeconfig for this server (with the given token, client
  // certificate files and CA file when non-empty) and returns its path.
  std::string write_kubeconfig(const std::string& path, const std::string& token = "",
                               const std::string& ca_file = "", const std::string& client_cert_file = "",
                               const std::string& client_key_file = "") const;

  // Seeds an object directly (as a POST would, with server-set metadata)
  // without a request; `json` is the object. Aborts on a malformed object.
  // Returns the stored object as JSON.
  std::string seed(const std::string& json);

  // The stored object, or "" if absent. `resource` is the plural name
  // ("configmaps", "deployments"), namespace "" for cluster-scoped ones.
  std::string object(const std::string& group, const std::string& resource, const std::string& ns,
                     const std::string& name) const;
  // How many objects of the resource exist (all namespaces).
  size_t count(const std::string& group, const std::string& resource) const;

  std::vector<LoggedRequest> requests() const;
  void clear_requests();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::testing
