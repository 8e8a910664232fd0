#include "storage/s3/multipart.h"

#include <algorithm>
#include <vector>

#include "storage/s3/xml.h"

namespace cairn::s3 {
namespace {

bool ok_status(long status) { return status >= 200 && status < 300; }

Result<std::string> initiate(const S3Client& client, const std::string& key, const HttpHeaders& headers,
                             const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client.send({"POST", key, {{"uploads", ""}}, headers, {}}));
  if (!ok_status(r.status)) return client.error_status(r, what);
  std::optional<std::string> id = xml_text(as_string_view(r.body), "UploadId");
  if (!id || id->empty())
    return io_error(what + ": the S3 server started a multipart upload without an upload id");
  return *id;
}

// Returns the part's ETag.
Result<std::string> upload_part(const S3Client& client, const std::string& key, const std::string& upload_id,
                                int number, ByteView part, const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(
      HttpResponse r,
      client.send({"PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {}, part}));
  if (!ok_status(r.status)) return client.error_status(r, what);
  std::string etag = r.header("etag");
  if (etag.empty())
    return io_error(what + ": the S3 server accepted part " + std::to_string(number) + " without an ETag");
  return etag;
}

Status complete(const S3Client& client, const std::string& key, const std::string& upload_id,
                const std::vector<std::string>& etags, const std::string& what) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + xml_escape(etags[i]) +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  // If-None-Match on completion makes the put exclusive where the server
  // supports it (AWS since 2024); elsewhere the HEAD before the upload is the check.
  CAIRN_ASSIGN_OR_RETURN(
      HttpResponse r,
      client.send({"POST", key, {{"uploadId", upload_id}}, {{"If-None-Match", "*"}}, as_bytes(xml)}));
  if (!ok_status(r.status)) return client.error_status(r, what);
  // A 200 can still carry an error: S3 sends the status line before it knows.
  if (xml_text(as_string_view(r.body), "Error") || !xml_text(as_string_view(r.body), "ETag")) {
    HttpResponse failed = r;
    if (failed.status < 400) failed.status = 500;
    return client.error_status(failed, what).with_context("completing the multipart upload");
  }
  return Status::ok();
}

}  // namespace

Status multipart_put(const S3Client& client, const std::string& key, ByteView data,
                     const HttpHeaders& extra_headers, const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(std::string upload_id, initiate(client, key, extra_headers, what));
  const uint64_t part_size = client.config().part_size;
  std::vector<std::string> etags;
  Status st;
  for (uint64_t offset = 0; st.is_ok() && (offset < data.size() || etags.empty()); offset += part_size) {
    const ByteView part = data.subspan(offset, std::min<uint64_t>(part_size, data.size() - offset));
    Result<std::string> etag =
        upload_part(client, key, upload_id, static_cast<int>(etags.size() + 1), part, what);
    if (etag.is_ok()) {
      etags.push_back(std::move(*etag));
    } else {
      st = etag.status();
    }
  }
  if (st.is_ok()) st = complete(client, key, upload_id, etags, what);
  if (!st.is_ok()) abort_upload(client, key, upload_id).ignore();
  return st;
}

Result<std::string> start_unfinished_upload(const S3Client& client, const std::string& key,
                                            ByteView first_part) {
  CAIRN_ASSIGN_OR_RETURN(std::string upload_id, initiate(client, key, {}, key));
  CAIRN_ASSIGN_OR_RETURN(std::string etag, upload_part(client, key, upload_id, 1, first_part, key));
  return upload_id;
}

Status abort_upload(const S3Client& client, const std::string& key, const std::string& upload_id) {
  CAIRN_ASSIGN_OR_RETURN(HttpResponse r, client.send({"DELETE", key, {{"uploadId", upload_id}}, {}, {}}));
  if (ok_status(r.status) || r.status == 404) return Status::ok();
  return client.error_status(r, key);
}

}  // namespace cairn::s3
