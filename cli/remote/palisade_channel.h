// How the CLI dials palisaded: `--server` as one address, several
// (`host:port,host:port`) or a name that resolves to several
// (`dns:///name:port`), turned into a gRPC target, and the service config
// that balances over the replicas and retries idempotent calls.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace palisade::cli {

// A gRPC target for `server`. One address passes through as given (host:port
// resolves by DNS; unix:, dns:///, ipv4: and the like are gRPC's own).
// Several, comma-separated, become one `ipv4:`/`ipv6:` target of their
// addresses, host names resolved here. InvalidArgument for an address
// without a port or a name that does not resolve.
absl::StatusOr<std::string> ServerTarget(const std::string& server);

// The default service config: `policy` is "round_robin" or "pick_first";
// idempotent calls (InvokeModule, Invoke -- a sandbox is reset after every
// call --, Run, the Get/List/Describe calls) are retried on UNAVAILABLE with
// exponential backoff; endpoints whose health service says NOT_SERVING
// (draining, audit log failing) get no new calls.
std::string ServiceConfigJson(const char* policy);

}  // namespace palisade::cli
