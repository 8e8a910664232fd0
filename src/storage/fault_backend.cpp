#include "storage/fault_backend.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

namespace cairn {
namespace {

const char* op_name(FaultOp op) {
  switch (op) {
    case FaultOp::kPut: return "put";
    case FaultOp::kGet: return "get";
    case FaultOp::kStat: return "stat";
    case FaultOp::kList: return "list";
    case FaultOp::kRemove: return "remove";
  }
  return "call";
}

uint64_t& counter(FaultCounts& counts, FaultOp op) {
  switch (op) {
    case FaultOp::kPut: return counts.puts;
    case FaultOp::kGet: return counts.gets;
    case FaultOp::kStat: return counts.stats;
    case FaultOp::kList: return counts.lists;
    case FaultOp::kRemove: return counts.removes;
  }
  return counts.puts;
}

}  // namespace

FaultInjectingBackend::FaultInjectingBackend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}

void FaultInjectingBackend::add_rule(const FaultRule& rule) {
  std::lock_guard lock(mu_);
  rules_.push_back(rule);
}

void FaultInjectingBackend::clear_rules() {
  std::lock_guard lock(mu_);
  rules_.clear();
  space_left_.reset();
}

void FaultInjectingBackend::fail_nth(FaultOp op, uint64_t n, ErrorCode code) {
  add_rule(FaultRule{.op = op, .skip = n > 0 ? n - 1 : 0, .code = code});
}

void FaultInjectingBackend::fail_every(FaultOp op, ObjectKind kind, ErrorCode code) {
  add_rule(FaultRule{.op = op, .kind = kind, .times = FaultRule::kForever, .code = code});
}

void FaultInjectingBackend::flip_byte_of_next_get(uint64_t offset) {
  add_rule(FaultRule{.op = FaultOp::kGet, .action = FaultAction::kFlipByte, .offset = offset});
}

void FaultInjectingBackend::truncate_next_get(uint64_t keep_bytes) {
  add_rule(FaultRule{.op = FaultOp::kGet, .action = FaultAction::kTruncate, .offset = keep_bytes});
}

void FaultInjectingBackend::fail_puts_after_bytes(uint64_t bytes) {
  std::lock_guard lock(mu_);
  space_left_ = bytes;
}

FaultCounts FaultInjectingBackend::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

FaultInjectingBackend::Hits FaultInjectingBackend::count_and_match(FaultOp op, ObjectKind kind) {
  std::lock_guard lock(mu_);
  ++counter(counts_, op);
  Hits hits;
  for (FaultRule& rule : rules_) {
    if (rule.op != op || (rule.kind && *rule.kind != kind)) continue;
    if (rule.skip > 0) {
      --rule.skip;
      continue;
    }
    const bool fails = rule.action == FaultAction::kFail || rule.action == FaultAction::kFailAfter;
    if (fails && hits.fail) continue;  // one failure per call; this rule waits for the next one
    if (fails) {
      hits.fail = rule;
    } else {
      hits.damage.push_back(rule);
    }
    if (rule.times != FaultRule::kForever) --rule.times;
  }
  std::erase_if(rules_, [](const FaultRule& r) { return r.times == 0; });
  return hits;
}

// Waits for every stall rule that hit this call.
static void stall(const std::vector<FaultRule>& damage) {
  for (const FaultRule& rule : damage)
    if (rule.action == FaultAction::kStall)
      std::this_thread::sleep_for(std::chrono::milliseconds(rule.stall_ms));
}

Status FaultInjectingBackend::injected(const FaultRule& rule, FaultOp op, const std::string& what) {
  return Status(rule.code, std::string("injected fault: ") + op_name(op) + " " + what);
}

Status FaultInjectingBackend::put(const ObjectKey& key, ByteView data) {
  Hits hits = count_and_match(FaultOp::kPut, key.kind);
  if (hits.fail && hits.fail->action == FaultAction::kFail)
    return injected(*hits.fail, FaultOp::kPut, key.to_string());
  stall(hits.damage);
  {
    std::lock_guard lock(mu_);
    if (space_left_) {
      if (data.size() > *space_left_) {
        return Status(ErrorCode::kNoSpace,
                      "injected fault: no space left on device writing " + key.to_string());
      }
      *space_left_ -= data.size();  // reserved now so concurrent puts cannot overcommit
    }
  }
  Status st = inner_->put(key, data);
  {
    std::lock_guard lock(mu_);
    if (st.is_ok()) {
      counts_.bytes_put += data.size();
    } else if (space_left_) {
      *space_left_ += data.size();
    }
  }
  if (st.is_ok() && hits.fail) return injected(*hits.fail, FaultOp::kPut, key.to_string());
  return st;
}

Result<Bytes> FaultInjectingBackend::get(const ObjectKey& key, uint64_t offset, uint64_t length) {
  Hits hits = count_and_match(FaultOp::kGet, key.kind);
  if (hits.fail && hits.fail->action == FaultAction::kFail)
    return injected(*hits.fail, FaultOp::kGet, key.to_string());
  stall(hits.damage);
  Result<Bytes> data = inner_->get(key, offset, length);
  if (!data.is_ok()) return data;
  if (hits.fail) return injected(*hits.fail, FaultOp::kGet, key.to_string());
  for (const FaultRule& rule : hits.damage) {
    if (rule.action == FaultAction::kFlipByte && rule.offset < data->size()) {
      (*data)[rule.offset] = static_cast<uint8_t>(~(*data)[rule.offset]);
    } else if (rule.action == FaultAction::kTruncate && rule.offset < data->size()) {
      data->resize(rule.offset);
    }
  }
  return data;
}

Result<ObjectInfo> FaultInjectingBackend::stat(const ObjectKey& key) {
  Hits hits = count_and_match(FaultOp::kStat, key.kind);
  if (hits.fail && hits.fail->action == FaultAction::kFail)
    return injected(*hits.fail, FaultOp::kStat, key.to_string());
  stall(hits.damage);
  Result<ObjectInfo> info = inner_->stat(key);
  if (info.is_ok() && hits.fail) return injected(*hits.fail, FaultOp::kStat, key.to_string());
  return info;
}

Status FaultInjectingBackend::list(ObjectKind kind, const std::function<void(const ObjectInfo&)>& fn) {
  Hits hits = count_and_match(FaultOp::kList, kind);
  const std::string what = object_kind_name(kind);
  if (hits.fail && hits.fail->action == FaultAction::kFail) return injected(*hits.fail, FaultOp::kList, what);
  stall(hits.damage);
  Status st = inner_->list(kind, fn);
  if (st.is_ok() && hits.fail) return injected(*hits.fail, FaultOp::kList, what);
  return st;
}

Status FaultInjectingBackend::remove(const ObjectKey& key) {
  Hits hits = count_and_match(FaultOp::kRemove, key.kind);
  if (hits.fail && hits.fail->action == FaultAction::kFail)
    return injected(*hits.fail, FaultOp::kRemove, key.to_string());
  stall(hits.damage);
  Status st = inner_->remove(key);
  if (st.is_ok() && hits.fail) return injected(*hits.fail, FaultOp::kRemove, key.to_string());
  return st;
}

}  // namespace cairn
