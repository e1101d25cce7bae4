// Sandbox ids name the palisaded replica that holds the sandbox:
// "sb-" [REPLICA "-"] and 24 lowercase hex digits. The server makes and
// checks them; the client reads the replica to send it as the
// `palisade-replica` header a balancer routes on.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace palisade {

// The replica named in `id` ("" for an id without one), or nullopt when
// `id` is not a sandbox id at all.
inline std::optional<std::string> SandboxReplica(std::string_view id) {
  constexpr size_t kHex = 24;
  if (id.size() < 3 + kHex || id.substr(0, 3) != "sb-") return std::nullopt;
  const std::string_view tail = id.substr(id.size() - kHex);
  if (!std::all_of(tail.begin(), tail.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return std::nullopt;
  }
  if (id.size() == 3 + kHex) return std::string();
  // "sb-" NAME "-" HEX: a name of 1 to 40 letters, digits and '-'.
  if (id.size() < 3 + 2 + kHex || id[id.size() - kHex - 1] != '-') return std::nullopt;
  const std::string_view name = id.substr(3, id.size() - 3 - kHex - 1);
  if (name.size() > 40 || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      })) {
    return std::nullopt;
  }
  return std::string(name);
}

}  // namespace palisade
