// Protobuf text-format files (configs, policies) with errors a person can
// act on: parse errors as FILE:LINE:COLUMN, and semantic errors located at
// the field they are about (via the parser's location tree).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include "absl/status/status.h"

namespace palisade {

struct TextProtoFile {
  std::string filename;
  google::protobuf::TextFormat::ParseInfoTree locations;

  // "FILE:LINE:COLUMN" of a field, reached from the root message by
  // (field name, index) steps: {{"wasi", 0}, {"deny_functions", 2}}; just
  // "FILE" when the field is not in the file.
  std::string Where(const google::protobuf::Message& root,
                    std::initializer_list<std::pair<const char*, int>> path) const;
};

// Parses `text` into `message`; InvalidArgument listing every parse error.
absl::Status ParseTextProto(const std::string& text, google::protobuf::Message* message,
                            TextProtoFile* file);
// Reads and parses `path`; NotFound if it cannot be read.
absl::Status LoadTextProto(const std::string& path, google::protobuf::Message* message,
                           TextProtoFile* file);

}  // namespace palisade
