#include "common/text_proto.h"

#include <google/protobuf/io/tokenizer.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace palisade {
namespace {

class Collector final : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(const std::string& filename) : filename_(filename) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    errors_.push_back(absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  const std::string& filename_;
  std::vector<std::string> errors_;
};

}  // namespace

std::string TextProtoFile::Where(const google::protobuf::Message& root,
                                 std::initializer_list<std::pair<const char*, int>> path) const {
  const google::protobuf::Descriptor* d = root.GetDescriptor();
  const google::protobuf::TextFormat::ParseInfoTree* tree = &locations;
  size_t step = 0;
  for (const auto& [name, index] : path) {
    const google::protobuf::FieldDescriptor* f = d == nullptr ? nullptr : d->FindFieldByName(name);
    if (f == nullptr || tree == nullptr) return filename;
    if (++step == path.size()) {
      google::protobuf::TextFormat::ParseLocation loc = tree->GetLocation(f, f->is_repeated() ? index : -1);
      // Elements of a [a, b] list may share the field's first location.
      if (loc.line < 0 && f->is_repeated()) loc = tree->GetLocation(f, 0);
      if (loc.line < 0) return filename;
      return absl::StrCat(filename, ":", loc.line + 1, ":", loc.column + 1);
    }
    tree = tree->GetTreeForNested(f, f->is_repeated() ? index : -1);
    d = f->message_type();
  }
  return filename;
}

absl::Status ParseTextProto(const std::string& text, google::protobuf::Message* message,
                            TextProtoFile* file) {
  google::protobuf::TextFormat::Parser parser;
  Collector errors(file->filename);
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&file->locations);
  if (!parser.ParseFromString(text, message)) {
    return absl::InvalidArgumentError(errors.errors().empty() ? file->filename + ": cannot parse"
                                                              : absl::StrJoin(errors.errors(), "\n"));
  }
  return absl::OkStatus();
}

absl::Status LoadTextProto(const std::string& path, google::protobuf::Message* message, TextProtoFile* file) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  file->filename = path;
  return ParseTextProto(ss.str(), message, file);
}

}  // namespace palisade
