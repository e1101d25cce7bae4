#include "cli/remote/palisade_channel.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace palisade::cli {
namespace {

// "host:port" or "[v6]:port" -> host, port.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size() || colon == 0) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return port->find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

absl::StatusOr<std::string> ServerTarget(const std::string& server) {
  if (server.find(',') == std::string::npos) return server;
  std::vector<std::string> v4, v6;
  for (absl::string_view part : absl::StrSplit(server, ',', absl::SkipWhitespace())) {
    std::string host, port;
    if (!SplitHostPort(std::string(part), &host, &port)) {
      return absl::InvalidArgumentError(absl::StrCat("--server: '", part, "' is not host:port"));
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int e = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); e != 0) {
      return absl::InvalidArgumentError(absl::StrCat("--server: cannot resolve '", host, "': ", gai_strerror(e)));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, freeaddrinfo);
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
        v4.push_back(absl::StrCat(text, ":", port));
      } else if (a->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr, text, sizeof text);
        v6.push_back(absl::StrCat("[", text, "]:", port));
      }
    }
  }
  // gRPC's address-list targets take one family each; IPv4 wins when both
  // are there (loopback names resolve to both).
  if (!v4.empty()) return "ipv4:" + absl::StrJoin(v4, ",");
  if (!v6.empty()) return "ipv6:" + absl::StrJoin(v6, ",");
  return absl::InvalidArgumentError("--server: no addresses");
}

std::string ServiceConfigJson(const char* policy) {
  nlohmann::json names = nlohmann::json::array();
  for (const char* method : {"InvokeModule", "Invoke", "Run", "GetModule", "GetSandbox", "ListSandboxes",
                             "DescribeFunction", "GetStats"}) {
    names.push_back({{"service", "palisade.v1.Palisade"}, {"method", method}});
  }
  nlohmann::json config = {
      {"loadBalancingConfig", nlohmann::json::array({{{policy, nlohmann::json::object()}}})},
      {"healthCheckConfig", {{"serviceName", ""}}},
      {"methodConfig", nlohmann::json::array({{{"name", names},
                                               {"retryPolicy",
                                                {{"maxAttempts", 5},
                                                 {"initialBackoff", "0.05s"},
                                                 {"maxBackoff", "1s"},
                                                 {"backoffMultiplier", 2},
                                                 {"retryableStatusCodes", {"UNAVAILABLE"}}}}}})}};
  return config.dump();
}

}  // namespace palisade::cli
