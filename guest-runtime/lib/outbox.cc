#include "lib/outbox.h"

#include "lib/hypercall.h"
#include "lib/string.h"

namespace palisade::guest {
namespace {

abi::OutboxHeader* g_outbox = nullptr;
constexpr uint64_t kCapacity = abi::kOutboxBytes - sizeof(abi::OutboxHeader);

uint8_t* Records() { return reinterpret_cast<uint8_t*>(g_outbox + 1); }

// The host rewinds tail to 0 at every hypercall, so it is always read afresh.
volatile uint64_t& Tail() { return *const_cast<volatile uint64_t*>(&g_outbox->tail); }

}  // namespace

void OutboxInit(abi::OutboxHeader* outbox) { g_outbox = outbox; }

void Defer(abi::Hypercall nr, const uint64_t (&args)[6], const void* data, size_t len,
           int data_arg) {
  const uint64_t bytes = (sizeof(abi::OutboxRecord) + len + 7) & ~uint64_t{7};
  if (g_outbox == nullptr || bytes > kCapacity || data_arg < 0 || data_arg >= 6) {
    uint64_t a[6];
    for (int i = 0; i < 6; ++i) a[i] = args[i];
    if (data != nullptr && data_arg >= 0 && data_arg < 6) a[data_arg] = reinterpret_cast<uint64_t>(data);
    Hypercall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    return;
  }
  uint64_t tail = Tail();
  if (tail > kCapacity || kCapacity - tail < bytes) {
    FlushOutbox();
    tail = Tail();
  }
  auto* rec = reinterpret_cast<abi::OutboxRecord*>(Records() + tail);
  rec->nr = static_cast<uint32_t>(nr);
  rec->bytes = static_cast<uint32_t>(bytes);
  for (int i = 0; i < 6; ++i) rec->args[i] = args[i];
  if (data != nullptr) {
    memcpy(rec + 1, data, len);
    rec->args[data_arg] = reinterpret_cast<uint64_t>(rec + 1);
  }
  // The record must be whole before the host can see it published; the host
  // reads it only while this vCPU is stopped, so ordering the stores is enough.
  asm volatile("" : : : "memory");
  Tail() = tail + bytes;
}

void FlushOutbox() { Hypercall(abi::Hypercall::kFlush); }

}  // namespace palisade::guest
