#include "vmm/guest_services.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace palisade {
namespace {

constexpr int64_t kWasiEio = 29;
constexpr int64_t kWasiEbadf = 8;
constexpr int64_t kWasiEintr = 27;

}  // namespace

int64_t PosixGuestServices::ReadStdin(uint8_t* buf, size_t cap) {
  if (has_input_) {
    const size_t n = std::min(cap, input_.size() - input_pos_);
    std::memcpy(buf, input_.data() + input_pos_, n);
    input_pos_ += n;
    return static_cast<int64_t>(n);
  }
  if (stdin_fd_ < 0) return -kWasiEbadf;
  ssize_t n = ::read(stdin_fd_, buf, cap);
  if (n >= 0) return n;
  // A deadline or Cancel() signals this thread: give up the read so the
  // vCPU can be stopped, rather than block on a silent stdin forever.
  return errno == EINTR ? -kWasiEintr : -kWasiEio;
}

std::optional<uint64_t> PosixGuestServices::Clock(uint32_t id, bool resolution) {
  // WASI's clock ids: realtime, monotonic, process and thread CPU time.
  static constexpr clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                          CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
  if (!clocks_allowed_ || id >= sizeof(kClocks) / sizeof(kClocks[0])) return std::nullopt;
  timespec ts{};
  int rc = resolution ? clock_getres(kClocks[id], &ts) : clock_gettime(kClocks[id], &ts);
  if (rc != 0) return std::nullopt;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

bool PosixGuestServices::Random(uint8_t* buf, size_t len) {
  if (!random_allowed_) return false;
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(buf + done, len - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

}  // namespace palisade
