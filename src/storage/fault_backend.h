// FaultInjectingBackend: wraps a backend and makes chosen calls fail or
// return damaged data, so tests can say "the third put fails" in one line.
//
// Nouns:
//   FaultOp    which Backend method a rule watches.
//   FaultRule  which calls it matches (op, optionally one kind), how many
//              matching calls pass first (skip), how many it then hits
//              (times), and what it does to them (action).
//
// Rules see calls in the order they are made. Every matching call counts
// towards a rule's skip, whether or not another rule hits it. A rule that
// has hit `times` calls is dropped. Calls no rule hits go to the inner
// backend unchanged. Thread-safe, like every Backend.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/backend.h"

namespace cairn {

enum class FaultOp { kPut, kGet, kStat, kList, kRemove };

enum class FaultAction {
  kFail,       // fail without calling the inner backend: nothing changes
  kFailAfter,  // call the inner backend, then report failure anyway (a lost reply)
  kFlipByte,   // get only: invert the byte at `offset` of the returned data (if it has one)
  kTruncate,   // get only: return only the first `offset` bytes (if it has more)
  kStall,      // wait `stall_ms` before calling the inner backend (a slow or hung storage)
};

struct FaultRule {
  static constexpr int64_t kForever = -1;

  FaultOp op = FaultOp::kPut;
  std::optional<ObjectKind> kind;  // empty: calls of every kind
  uint64_t skip = 0;               // matching calls that pass before the rule hits
  int64_t times = 1;               // calls hit, or kForever
  FaultAction action = FaultAction::kFail;
  ErrorCode code = ErrorCode::kIoError;  // kFail, kFailAfter
  uint64_t offset = 0;                   // kFlipByte: which byte; kTruncate: bytes kept
  uint32_t stall_ms = 0;                 // kStall
};

// Calls made so far, hit by a rule or not.
struct FaultCounts {
  uint64_t puts = 0;
  uint64_t gets = 0;
  uint64_t stats = 0;
  uint64_t lists = 0;
  uint64_t removes = 0;
  uint64_t bytes_put = 0;  // by puts that succeeded
};

class FaultInjectingBackend final : public Backend {
 public:
  explicit FaultInjectingBackend(std::shared_ptr<Backend> inner);

  void add_rule(const FaultRule& rule);
  void clear_rules();

  // One-liners for the common cases. n counts from 1, from now on.
  void fail_nth(FaultOp op, uint64_t n, ErrorCode code = ErrorCode::kIoError);
  void fail_every(FaultOp op, ObjectKind kind, ErrorCode code = ErrorCode::kIoError);
  void flip_byte_of_next_get(uint64_t offset);
  void truncate_next_get(uint64_t keep_bytes);
  // A disk that fills up: once puts have stored `bytes` more bytes from now
  // on, a put that does not fit fails with kNoSpace and stores nothing.
  void fail_puts_after_bytes(uint64_t bytes);

  FaultCounts counts() const;

  Status put(const ObjectKey& key, ByteView data) override;
  Result<Bytes> get(const ObjectKey& key, uint64_t offset = 0, uint64_t length = 0) override;
  Result<ObjectInfo> stat(const ObjectKey& key) override;
  Status list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) override;
  Status remove(const ObjectKey& key) override;
  BackendProperties properties() const override { return inner_->properties(); }

 private:
  // What the rules decided for one call.
  struct Hits {
    std::optional<FaultRule> fail;  // the first kFail / kFailAfter rule hit
    std::vector<FaultRule> damage;  // kFlipByte / kTruncate rules hit, in order
  };
  Hits count_and_match(FaultOp op, ObjectKind kind);
  static Status injected(const FaultRule& rule, FaultOp op, const std::string& what);

  const std::shared_ptr<Backend> inner_;
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;        // guarded by mu_
  FaultCounts counts_;                  // guarded by mu_
  std::optional<uint64_t> space_left_;  // guarded by mu_; empty: unlimited
};

}  // namespace cairn
