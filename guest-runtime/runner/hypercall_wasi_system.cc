#include "runner/hypercall_wasi_system.h"

#include "abi/hypercall_abi.h"
#include "lib/hypercall.h"
#include "lib/outbox.h"
#include "lib/string.h"

namespace palisade::guest {
namespace {

constexpr int64_t kWasiEbadf = 8;
// The host caps one console write; larger writes go in pieces.
constexpr size_t kWriteChunk = 1 << 20;
// Writes up to this size are queued in the outbox (one exit for many lines);
// larger ones go straight to the host, which drains the queue first.
constexpr size_t kQueuedWriteMax = 64 * 1024;

bool Query(uint32_t id, uint64_t which, uint64_t* ns) {
  if (Hypercall(abi::Hypercall::kClockTime, id, which) != 0) return false;
  *ns = mailbox().results[0];
  return true;
}

}  // namespace

int64_t HypercallWasiSystem::Write(uint32_t fd, const uint8_t* data, size_t len) {
  if (fd != 1 && fd != 2) return -kWasiEbadf;
  if (len <= kQueuedWriteMax) {
    Defer(abi::Hypercall::kConsoleWrite, {fd, 0, len, 0, 0, 0}, data, len, 1);
    return static_cast<int64_t>(len);
  }
  size_t done = 0;
  while (done < len) {
    size_t n = len - done < kWriteChunk ? len - done : kWriteChunk;
    int64_t r = Hypercall(abi::Hypercall::kConsoleWrite, fd, reinterpret_cast<uint64_t>(data + done), n);
    if (r < 0) return done > 0 ? static_cast<int64_t>(done) : r;
    done += static_cast<size_t>(r);
  }
  return static_cast<int64_t>(done);
}

int64_t HypercallWasiSystem::Read(uint32_t fd, uint8_t* data, size_t len) {
  if (fd != 0) return -kWasiEbadf;
  if (ahead_pos_ == ahead_len_) {
    if (len >= kReadAhead) return Hypercall(abi::Hypercall::kStdinRead, reinterpret_cast<uint64_t>(data), len);
    const int64_t got = Hypercall(abi::Hypercall::kStdinRead, reinterpret_cast<uint64_t>(ahead_), kReadAhead);
    if (got <= 0) return got;
    ahead_pos_ = 0;
    ahead_len_ = static_cast<size_t>(got);
  }
  const size_t n = len < ahead_len_ - ahead_pos_ ? len : ahead_len_ - ahead_pos_;
  memcpy(data, ahead_ + ahead_pos_, n);
  ahead_pos_ += n;
  return static_cast<int64_t>(n);
}

bool HypercallWasiSystem::ClockTime(uint32_t id, uint64_t* ns) { return Query(id, 0, ns); }
bool HypercallWasiSystem::ClockResolution(uint32_t id, uint64_t* ns) { return Query(id, 1, ns); }

bool HypercallWasiSystem::Random(uint8_t* data, size_t len) {
  while (len > 0) {
    size_t n = len < abi::kMaxRandomBytes ? len : abi::kMaxRandomBytes;
    if (Hypercall(abi::Hypercall::kRandom, reinterpret_cast<uint64_t>(data), n) != 0) return false;
    data += n;
    len -= n;
  }
  return true;
}

void HypercallWasiSystem::Sleep(uint64_t ns) { Hypercall(abi::Hypercall::kSleep, ns); }

void HypercallWasiSystem::Denied(const char* function, size_t len) {
  if (len > abi::kMaxPolicyNameBytes) len = abi::kMaxPolicyNameBytes;
  Defer(abi::Hypercall::kPolicyDenied, {0, len, 0, 0, 0, 0}, function, len, 0);
}

}  // namespace palisade::guest
