#include "repo/compress.h"

#include <zstd.h>

namespace cairn {

namespace {
// One compression context per thread: creating one costs more than
// compressing a small blob.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
ZstdContexts& contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}
}  // namespace

bool zstd_compress(ByteView input, int level, Bytes& out) {
  if (input.empty()) return false;
  out.resize(ZSTD_compressBound(input.size()));
  size_t n = ZSTD_compressCCtx(contexts().c, out.data(), out.size(), input.data(), input.size(), level);
  if (ZSTD_isError(n) || n >= input.size()) return false;
  out.resize(n);
  return true;
}

Result<Bytes> zstd_decompress(ByteView input, size_t expected_size) {
  Bytes out(expected_size);
  size_t n = ZSTD_decompressDCtx(contexts().d, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n) || n != expected_size) return corruption("compressed data is damaged");
  return out;
}

Result<Bytes> zstd_decompress_frame(ByteView input, size_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(input.data(), input.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size)
    return corruption("compressed metadata is damaged");
  return zstd_decompress(input, static_cast<size_t>(size));
}

}  // namespace cairn
