// One HTTP exchange with an API server over libcurl. Internal to src/k8s.
//
// The same pattern as storage/s3/http (one reused curl handle per thread,
// no retries here), plus what Kubernetes needs: CA, client certificate and
// key given as PEM in memory (kubeconfig's *-data fields) and bearer tokens.
#pragma once

#include <string>

#include "common/status.h"
#include "k8s/k8s.h"

namespace cairn::k8s {

struct HttpReply {
  long status = 0;
  std::string content_type;
  std::string body;
};

// `path_and_query` is appended to the configured server URL. Transport and
// TLS failures are kIoError naming the server; any HTTP status is a reply.
Result<HttpReply> http_exchange(const ClusterConfig& config, const std::string& method,
                                const std::string& path_and_query, const std::string& content_type = "",
                                const std::string& body = "");

// Percent-encodes a query value ("app=web,x!=y" -> "app%3Dweb%2Cx%21%3Dy").
std::string query_escape(const std::string& s);

}  // namespace cairn::k8s
