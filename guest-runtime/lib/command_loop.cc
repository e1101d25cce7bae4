#include "lib/command_loop.h"

#include "lib/hypercall.h"
#include "lib/string.h"

namespace palisade::guest {
namespace {

constexpr uint64_t kEchoBufferBytes = 2048;
alignas(64) uint8_t g_echo_in[kEchoBufferBytes];
alignas(64) uint8_t g_echo_out[kEchoBufferBytes];

int64_t EchoLoop(uint64_t count, uint64_t bytes) {
  if (bytes > kEchoBufferBytes) return kStatusBadArgument;
  for (uint64_t i = 0; i < bytes; ++i) g_echo_in[i] = static_cast<uint8_t>(i * 7 + 1);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t n = Hypercall(abi::Hypercall::kEcho,
                          reinterpret_cast<uint64_t>(g_echo_in), bytes,
                          reinterpret_cast<uint64_t>(g_echo_out),
                          kEchoBufferBytes, i);
    if (n != static_cast<int64_t>(bytes) || mailbox().results[0] != i ||
        memcmp(g_echo_in, g_echo_out, bytes) != 0) {
      return kStatusMismatch;
    }
  }
  return kStatusOk;
}

}  // namespace

int64_t ServeCommands(CommandHandler extra) {
  int64_t status = kStatusOk;
  for (;;) {
    auto command = static_cast<abi::Command>(
        Hypercall(abi::Hypercall::kAwaitCommand, static_cast<uint64_t>(status)));
    const uint64_t args[3] = {mailbox().results[0], mailbox().results[1],
                              mailbox().results[2]};
    switch (command) {
      case abi::Command::kShutdown:
        return static_cast<int64_t>(args[0]);
      case abi::Command::kEchoLoop:
        status = EchoLoop(args[0], args[1]);
        break;
      default:
        status = extra != nullptr ? extra(static_cast<int64_t>(command), args)
                                  : kStatusUnknownCommand;
        break;
    }
  }
}

}  // namespace palisade::guest
