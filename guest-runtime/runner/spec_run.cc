#include "runner/spec_run.h"

#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"
#include "lib/string.h"
#include "runner/heap_memory_provider.h"
#include "runner/hypercall_code_sealer.h"
#include "wasm/spectest/spec_session.h"

namespace palisade::guest {
namespace {

using wasm::spectest::SpecResult;
using wasm::spectest::SpecStatus;

wasm::spectest::SpecSession g_session;
HeapMemoryProvider g_memory;

bool InRange(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

void WriteReply(const SpecResult& r, abi::SpecReply* out) {
  abi::SpecReply reply{};
  reply.status = static_cast<uint32_t>(r.status);
  reply.trap = static_cast<uint32_t>(r.trap);
  reply.instance = r.instance;
  reply.result_count = r.result_count;
  reply.error_kind = static_cast<uint32_t>(r.error.kind);
  reply.message_size = static_cast<uint32_t>(strlen(r.error.message));
  if (reply.message_size > sizeof(reply.message)) reply.message_size = sizeof(reply.message);
  memcpy(reply.message, r.error.message, reply.message_size);
  for (uint32_t i = 0; i < r.result_count && i < abi::kMaxSpecValues; ++i) {
    reply.results[i] = abi::WasmValue{static_cast<uint64_t>(r.results[i].type), r.results[i].bits[0],
                                      r.results[i].bits[1]};
  }
  memcpy(out, &reply, sizeof(reply));
}

}  // namespace

int64_t RunSpec(uint64_t request_addr, uint64_t request_size, uint64_t capacity) {
  if (request_size < sizeof(abi::SpecRequest) || request_addr % 8 != 0 ||
      capacity < sizeof(abi::SpecReply) || request_size > capacity) {
    return kStatusBadArgument;
  }
  abi::SpecRequest req;
  memcpy(&req, reinterpret_cast<const void*>(request_addr), sizeof(req));
  const char* base = reinterpret_cast<const char*>(request_addr);
  if (req.magic != abi::kSpecMagic || !InRange(req.data_offset, req.data_size, request_size) ||
      req.value_count > abi::kMaxSpecValues || req.values_offset % 8 != 0 ||
      !InRange(req.values_offset, uint64_t{req.value_count} * sizeof(abi::WasmValue), request_size)) {
    return kStatusBadArgument;
  }
  const char* data = base + req.data_offset;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  SpecResult r;
  switch (req.op) {
    case abi::SpecOp::kReset:
      if (!g_session.Reset(&g_memory)) r.status = SpecStatus::kOutOfMemory;
      break;
    case abi::SpecOp::kValidate:
      r = g_session.Validate(bytes, req.data_size);
      break;
    case abi::SpecOp::kInstantiate:
      g_session.UseCompiler((req.flags & abi::kEngineCompiler) != 0 ? GuestCodeSealer() : nullptr);
      r = g_session.Instantiate(bytes, req.data_size);
      break;
    case abi::SpecOp::kRegister:
      if (!g_session.Register(data, req.data_size, req.instance)) r.status = SpecStatus::kNoInstance;
      break;
    case abi::SpecOp::kInvoke: {
      wasm::Value args[abi::kMaxSpecValues];
      const auto* in = reinterpret_cast<const abi::WasmValue*>(base + req.values_offset);
      for (uint32_t i = 0; i < req.value_count; ++i) {
        args[i].type = static_cast<wasm::ValType>(in[i].type);
        args[i].bits[0] = in[i].lo;
        args[i].bits[1] = in[i].hi;
      }
      r = g_session.Invoke(req.instance, data, req.data_size, args, req.value_count);
      break;
    }
    case abi::SpecOp::kGet:
      r = g_session.Get(req.instance, data, req.data_size);
      break;
    default:
      return kStatusBadArgument;
  }
  WriteReply(r, reinterpret_cast<abi::SpecReply*>(request_addr));
  return kStatusOk;
}

}  // namespace palisade::guest
