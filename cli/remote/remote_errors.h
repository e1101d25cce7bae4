// Exit statuses and messages for failed calls to palisaded, shared by the
// remote commands: the same statuses as the local commands where the
// meaning is the same (usage 2, trap/timeout 134, no sandbox 69), sysexits
// for the rest.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace palisade::cli {

constexpr int kExitTempFail = 75;      // the server is busy or a quota is reached: retry later
constexpr int kExitNoPermission = 77;  // the server refused the token
constexpr int kExitSoftware = 70;      // the server failed (INTERNAL and the like)

// Prints "COMMAND: <what happened>" to stderr and returns the exit status.
int ReportRemoteError(const char* command, const std::string& server, const absl::Status& status);

}  // namespace palisade::cli
