#include "vmm/console.h"

#include <unistd.h>

#include <cerrno>

namespace palisade {

void StdioConsole::Write(abi::ConsoleStream stream, std::string_view bytes) {
  int fd = stream == abi::ConsoleStream::kStderr ? STDERR_FILENO : STDOUT_FILENO;
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed stdout must not kill the sandbox
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace palisade
