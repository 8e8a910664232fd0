#include "storage/counting_backend.h"

#include <utility>

namespace cairn {

std::string RequestCounts::to_string() const {
  return "puts=" + std::to_string(puts) + " gets=" + std::to_string(gets) +
         " stats=" + std::to_string(stats) + " lists=" + std::to_string(lists) +
         " removes=" + std::to_string(removes) + " bytes_put=" + std::to_string(bytes_put) +
         " bytes_got=" + std::to_string(bytes_got);
}

CountingBackend::CountingBackend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}

RequestCounts CountingBackend::counts() const {
  return RequestCounts{.puts = puts_.load(),
                       .gets = gets_.load(),
                       .stats = stats_.load(),
                       .lists = lists_.load(),
                       .removes = removes_.load(),
                       .bytes_put = bytes_put_.load(),
                       .bytes_got = bytes_got_.load()};
}

Status CountingBackend::put(const ObjectKey& key, ByteView data) {
  ++puts_;
  Status st = inner_->put(key, data);
  if (st.is_ok()) bytes_put_ += data.size();
  return st;
}

Result<Bytes> CountingBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  ++gets_;
  Result<Bytes> out = inner_->get(key, offset, length);
  if (out.is_ok()) bytes_got_ += out->size();
  return out;
}

Result<ObjectInfo> CountingBackend::stat(const ObjectKey& key) {
  ++stats_;
  return inner_->stat(key);
}

Status CountingBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  ++lists_;
  return inner_->list(kind, fn);
}

Status CountingBackend::remove(const ObjectKey& key) {
  ++removes_;
  return inner_->remove(key);
}

}  // namespace cairn
