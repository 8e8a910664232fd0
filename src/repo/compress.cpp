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

bool zstd_compress_against(ByteView input, ByteView base, int level, Bytes& out) {
  if (input.empty()) return false;
  // Its own context: the prefix and level are sticky parameters, which the
  // one-shot calls above would not reset.
  struct Context {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ~Context() { ZSTD_freeCCtx(c); }
  };
  thread_local Context ctx;
  ZSTD_CCtx_reset(ctx.c, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx.c, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_refPrefix(ctx.c, base.data(), base.size())))
    return false;
  out.resize(ZSTD_compressBound(input.size()));
  size_t n = ZSTD_compress2(ctx.c, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n) || n >= input.size()) return false;
  out.resize(n);
  return true;
}

Result<Bytes> zstd_decompress_against(ByteView input, ByteView base, size_t expected_size) {
  ZSTD_DCtx* d = contexts().d;
  ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
  if (ZSTD_isError(ZSTD_DCtx_refPrefix(d, base.data(), base.size())))
    return corruption("compressed data is damaged");
  Bytes out(expected_size);
  size_t n = ZSTD_decompressDCtx(d, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n) || n != expected_size) {
    ZSTD_DCtx_reset(d, ZSTD_reset_session_only);  // drop the prefix if the frame did not use it up
    return corruption("compressed data is damaged");
  }
  return out;
}

}  // namespace cairn
