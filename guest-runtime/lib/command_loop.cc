#include "lib/command_loop.h"

#include "lib/hypercall.h"
#include "lib/string.h"

extern "C" [[noreturn]] void palisade_serve_loop(palisade::abi::Mailbox* mailbox);

namespace palisade::guest {
namespace {

constexpr uint64_t kEchoBufferBytes = 2048;
alignas(64) uint8_t g_echo_in[kEchoBufferBytes];
alignas(64) uint8_t g_echo_out[kEchoBufferBytes];

// Written once at boot, before any snapshot: every command is handled with
// the same handler, whatever the registers held.
CommandHandler g_extra = nullptr;

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

[[noreturn]] void ServeCommands(CommandHandler extra) {
  g_extra = extra;
  palisade_serve_loop(&mailbox());
}

}  // namespace palisade::guest

// One command, read from the host's answer to kAwaitCommand; returns its status.
extern "C" int64_t palisade_serve_one() {
  using namespace palisade::guest;
  namespace abi = palisade::abi;
  const abi::Mailbox& mb = mailbox();
  const auto command = static_cast<abi::Command>(mb.result);
  const uint64_t args[3] = {mb.results[0], mb.results[1], mb.results[2]};
  switch (command) {
    case abi::Command::kShutdown:
      Exit(static_cast<int64_t>(args[0]));
    case abi::Command::kEchoLoop:
      return EchoLoop(args[0], args[1]);
    default:
      return g_extra != nullptr ? g_extra(static_cast<int64_t>(command), args)
                                : kStatusUnknownCommand;
  }
}
