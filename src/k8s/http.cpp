#include "k8s/http.h"

#include <curl/curl.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace cairn::k8s {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The calling thread's curl handle: reused so its connections stay open.
class ThreadHandle {
 public:
  ThreadHandle() {
    global_init();
    handle_ = curl_easy_init();
  }
  ~ThreadHandle() {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  CURL* get() { return handle_; }

 private:
  CURL* handle_ = nullptr;
};

struct Transfer {
  const std::string* upload = nullptr;
  size_t uploaded = 0;
  HttpReply* reply = nullptr;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = std::min(size * count, t->upload->size() - t->uploaded);
  if (n > 0) std::memcpy(buffer, t->upload->data() + t->uploaded, n);
  t->uploaded += n;
  return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->reply->body.append(data, size * count);
  return size * count;
}

// curl copies a blob with CURL_BLOB_COPY, so the string may go away after setopt.
void set_blob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

Status transport_error(CURLcode code, const char* detail, const std::string& server) {
  const std::string why = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return io_error("cannot reach the Kubernetes API server " + server + ": " + why);
    case CURLE_OPERATION_TIMEDOUT:
      return io_error("the Kubernetes API server " + server + " did not answer in time");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
      return io_error("TLS connection to the Kubernetes API server " + server + " failed: " + why +
                      " (check the kubeconfig's certificate-authority and client certificate)");
    default: return io_error("request to the Kubernetes API server " + server + " failed: " + why);
  }
}

}  // namespace

std::string query_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<HttpReply> http_exchange(const ClusterConfig& config, const std::string& method,
                                const std::string& path_and_query, const std::string& content_type,
                                const std::string& body) {
  thread_local ThreadHandle thread_handle;
  CURL* curl = thread_handle.get();
  if (curl == nullptr) return io_error("cannot initialise libcurl");
  curl_easy_reset(curl);

  std::string server = config.server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  const std::string url = server + path_and_query;

  std::string token = config.token;
  if (token.empty() && !config.token_file.empty()) {
    // Re-read each time: kubelet rotates projected service-account tokens.
    std::ifstream in(config.token_file);
    if (!in)
      return permission_denied("cannot read the token file " + config.token_file + " named by " +
                               config.source);
    std::ostringstream s;
    s << in.rdbuf();
    token = s.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
  }

  HttpReply reply;
  Transfer transfer{&body, 0, &reply};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "User-Agent: cairn");
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  // "Content-Type:" alone stops curl from adding its form default to a bodyless request.
  headers = curl_slist_append(
      headers, content_type.empty() ? "Content-Type:" : ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");
  char error[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (!config.ca_pem.empty()) set_blob(curl, CURLOPT_CAINFO_BLOB, config.ca_pem);
  if (config.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config.client_cert_pem.empty()) {
    set_blob(curl, CURLOPT_SSLCERT_BLOB, config.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    set_blob(curl, CURLOPT_SSLKEY_BLOB, config.client_key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  CURLcode code = curl_easy_perform(curl);
  long fresh_connections = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &fresh_connections);
  if (code != CURLE_OK && fresh_connections == 0 && reply.status == 0 && reply.body.empty()) {
    // A kept-alive connection that the server (or a load balancer) closed
    // while idle fails on first use; one fresh connection is what any HTTP
    // client does then. Nothing reached the server, so even a POST is safe.
    error[0] = '\0';
    transfer.uploaded = 0;
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    code = curl_easy_perform(curl);
  }
  curl_slist_free_all(headers);
  if (code != CURLE_OK) return transport_error(code, error, server);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  char* ct = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  if (ct != nullptr) reply.content_type = ct;
  return reply;
}

}  // namespace cairn::k8s
