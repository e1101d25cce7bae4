// Where the guest's console output (kConsoleWrite) goes: the process's own
// stdout/stderr, or a buffer (tests, and later the gRPC service).
#pragma once

#include <string>
#include <string_view>

#include "guest-runtime/abi/hypercall_abi.h"

namespace palisade {

class ConsoleSink {
 public:
  virtual ~ConsoleSink() = default;
  virtual void Write(abi::ConsoleStream stream, std::string_view bytes) = 0;
};

// Writes to file descriptors 1 and 2, retrying short writes and EINTR.
class StdioConsole final : public ConsoleSink {
 public:
  void Write(abi::ConsoleStream stream, std::string_view bytes) override;
};

class CapturingConsole final : public ConsoleSink {
 public:
  void Write(abi::ConsoleStream stream, std::string_view bytes) override {
    (stream == abi::ConsoleStream::kStderr ? err : out).append(bytes);
  }
  std::string out;
  std::string err;
};

}  // namespace palisade
