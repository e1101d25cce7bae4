#include "wasm/host/wasi_host_system.h"

#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "wasm/wasi/wasi_abi.h"

namespace palisade::wasm {

namespace {

bool ClockOf(uint32_t id, clockid_t* out) {
  switch (id) {
    case wasi::kRealtime: *out = CLOCK_REALTIME; return true;
    case wasi::kMonotonic: *out = CLOCK_MONOTONIC; return true;
    case wasi::kProcessCputime: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case wasi::kThreadCputime: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

}  // namespace

int64_t HostWasiSystem::Write(uint32_t fd, const uint8_t* data, size_t len) {
  // The guest's fd 0-2 are this process's; nothing else is reachable.
  if (discard_output_) return static_cast<int64_t>(len);
  for (;;) {
    ssize_t n = ::write(static_cast<int>(fd), data, len);
    if (n >= 0) return n;
    if (errno != EINTR) return -wasi::kIo;
  }
}

void InterruptHostReads(HostWasiSystem* system) { system->Interrupt(); }

void SealHostStreams(HostWasiSystem* system, bool discard_output) {
  system->sealed_ = true;
  system->discard_output_ = discard_output;
}

const std::vector<std::string>& DeniedCalls(const HostWasiSystem* system) { return system->denied_; }

int64_t HostWasiSystem::Read(uint32_t fd, uint8_t* data, size_t len) {
  if (sealed_) return 0;
  for (;;) {
    // Wait in slices, so that Interrupt() is noticed within one.
    if (interrupted_.load()) return -wasi::kIntr;
    pollfd p{static_cast<int>(fd), POLLIN, 0};
    if (::poll(&p, 1, 50) == 0) continue;
    ssize_t n = ::read(static_cast<int>(fd), data, len);
    if (n >= 0) return n;
    if (errno != EINTR) return -wasi::kIo;
  }
}

bool HostWasiSystem::ClockTime(uint32_t id, uint64_t* ns) {
  clockid_t c;
  timespec ts;
  if (!ClockOf(id, &c) || clock_gettime(c, &ts) != 0) return false;
  *ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return true;
}

bool HostWasiSystem::ClockResolution(uint32_t id, uint64_t* ns) {
  clockid_t c;
  timespec ts;
  if (!ClockOf(id, &c) || clock_getres(c, &ts) != 0) return false;
  *ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return true;
}

bool HostWasiSystem::IsTerminal(uint32_t fd) {
  // A sealed system's streams are not the process's.
  return fd < 3 && !sealed_ && ::isatty(static_cast<int>(fd)) == 1;
}

bool HostWasiSystem::Random(uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = getrandom(data, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void HostWasiSystem::Sleep(uint64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace palisade::wasm
