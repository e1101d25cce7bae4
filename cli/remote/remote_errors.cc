#include "cli/remote/remote_errors.h"

#include <iostream>

#include "cli/run_command.h"

namespace palisade::cli {

int ReportRemoteError(const char* command, const std::string& server, const absl::Status& s) {
  std::cerr << command << ": ";
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      std::cerr << "palisaded at " << server << " is unavailable: " << s.message() << "\n";
      return kExitNoSandbox;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      std::cerr << "palisaded at " << server << " refused the credentials: " << s.message() << "\n";
      return kExitNoPermission;
    case absl::StatusCode::kDeadlineExceeded:
      std::cerr << "timeout: " << s.message() << "\n";
      return kExitTrap;
    case absl::StatusCode::kCancelled:
      std::cerr << "cancelled: " << s.message() << "\n";
      return kExitTrap;
    case absl::StatusCode::kResourceExhausted:
      std::cerr << s.message() << "\n";
      return kExitTempFail;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      std::cerr << s.message() << "\n";
      return kExitUsage;
    default:
      std::cerr << "the server failed (" << absl::StatusCodeToString(s.code()) << "): " << s.message()
                << "\n";
      return kExitSoftware;
  }
}

}  // namespace palisade::cli
