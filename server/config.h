// palisaded's configuration: protobuf text format (proto/palisade/v1/
// config.proto), parsed with errors that name the file, line and column,
// then checked and completed with defaults.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "palisade/v1/config.pb.h"

namespace palisade::server {

absl::StatusOr<v1::ServerConfig> ParseConfig(const std::string& text, const std::string& filename);
absl::StatusOr<v1::ServerConfig> LoadConfig(const std::string& path);

// The defaults config.proto documents, for fields left at 0.
void ApplyDefaults(v1::ServerConfig* config);

}  // namespace palisade::server
