// Multipart upload of one object, all or nothing. Internal to storage/s3.
#pragma once

#include <string>

#include "storage/s3/s3_client.h"

namespace cairn::s3 {

// Uploads data under key in parts of client.config().part_size and
// completes the upload; on any failure the upload is aborted (best effort:
// an abort that fails too leaves only invisible parts, which the bucket's
// lifecycle rules or a later abort remove). `what` names the object in
// messages. extra_headers go on the initiating request (x-amz-acl).
Status multipart_put(const S3Client& client, const std::string& key, ByteView data,
                     const HttpHeaders& extra_headers, const std::string& what);

// Starts an upload and sends its first part without completing it: what a
// crash in the middle of multipart_put leaves. Returns the upload id.
Result<std::string> start_unfinished_upload(const S3Client& client, const std::string& key,
                                            ByteView first_part);

// Aborts an upload started by either function above.
Status abort_upload(const S3Client& client, const std::string& key, const std::string& upload_id);

}  // namespace cairn::s3
