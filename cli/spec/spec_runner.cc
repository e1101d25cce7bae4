#include "cli/spec/spec_runner.h"

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/spec/spec_values.h"
#include "wasm/runtime/engine.h"

namespace palisade::spec {

namespace {

using nlohmann::json;
using wasm::spectest::SpecStatus;

enum class Outcome { kPass, kFail, kSkip };

std::string Explain(const StepResult& r) {
  switch (r.status) {
    case SpecStatus::kOk: return "ok";
    case SpecStatus::kCompileError:
    case SpecStatus::kLinkError: return r.message;
    case SpecStatus::kTrap: return wasm::TrapMessage(r.trap);
    case SpecStatus::kNoInstance: return "no such instance";
    case SpecStatus::kNoExport: return "no such export, or not of the needed kind";
    case SpecStatus::kBadArguments: return "arguments do not match the signature";
    case SpecStatus::kOutOfMemory: return "out of memory";
  }
  return "unknown status";
}

class FileRunner {
 public:
  FileRunner(std::string dir, std::string file, const SpecOptions& options, SpecBackend& backend,
             std::ostream& out)
      : dir_(std::move(dir)), file_(std::move(file)), options_(options), backend_(backend),
        out_(out) {}

  void Run(const json& commands, SpecCounts* counts, std::set<std::string>* failures) {
    for (const json& c : commands) {
      int line = c.value("line", 0);
      std::string type = c.value("type", "");
      std::string why;
      Outcome o = Command(c, type, &why);
      if (o == Outcome::kPass) {
        ++counts->passed;
        if (options_.verbose) out_ << file_ << ":" << line << ": " << type << ": ok\n";
      } else if (o == Outcome::kSkip) {
        if (why == "not applicable") continue;  // text-format assert_malformed
        ++counts->skipped;
        if (options_.verbose) out_ << file_ << ":" << line << ": " << type << ": skipped: " << why << "\n";
      } else {
        ++counts->failed;
        std::string key = file_ + ":" + std::to_string(line);
        failures->insert(key);
        out_ << key << ": " << type << ": " << why
             << (options_.expected_failures.count(key) ? " (expected failure)" : "") << "\n";
      }
    }
  }

 private:
  bool Load(const std::string& filename, std::vector<uint8_t>* bytes, std::string* why) {
    std::ifstream in(dir_ + "/" + filename, std::ios::binary);
    if (!in) {
      *why = "cannot read " + dir_ + "/" + filename;
      return false;
    }
    bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
  }

  // A step the backend could not perform at all (the micro-VM died).
  static bool Failed(const absl::StatusOr<StepResult>& r, std::string* why) {
    if (r.ok()) return false;
    *why = "backend failed: " + std::string(r.status().message());
    return true;
  }

  std::optional<uint32_t> Target(const json& action, std::string* why) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      if (it == named_.end()) {
        *why = "no module named " + action["module"].get<std::string>();
        return std::nullopt;
      }
      return it->second;
    }
    if (!current_) *why = "no current module";
    return current_;
  }

  // Runs an action; the result says how it went (kOk with values, kTrap, ...).
  Outcome Act(const json& action, StepResult* result, std::string* why) {
    std::optional<uint32_t> inst = Target(action, why);
    if (!inst) return current_failed_ ? Outcome::kSkip : Outcome::kFail;
    std::string field = action.value("field", "");
    std::string type = action.value("type", "");
    absl::StatusOr<StepResult> r;
    if (type == "get") {
      r = backend_.Get(*inst, field);
    } else if (type == "invoke") {
      std::vector<wasm::Value> args;
      for (const json& a : action.value("args", json::array())) {
        absl::StatusOr<wasm::Value> v = ParseValue(a);
        if (!v.ok()) {
          *why = std::string(v.status().message());
          return Outcome::kFail;
        }
        args.push_back(*v);
      }
      r = backend_.Invoke(*inst, field, args);
    } else {
      *why = "unknown action " + type;
      return Outcome::kFail;
    }
    if (Failed(r, why)) return Outcome::kFail;
    if (r->status != SpecStatus::kOk && r->status != SpecStatus::kTrap) {
      *why = field + ": " + Explain(*r);
      return Outcome::kFail;
    }
    *result = *std::move(r);
    return Outcome::kPass;
  }

  Outcome Command(const json& c, const std::string& type, std::string* why) {
    if (type == "module") {
      current_.reset();
      current_failed_ = true;
      std::vector<uint8_t> bytes;
      if (!Load(c.value("filename", ""), &bytes, why)) return Outcome::kFail;
      absl::StatusOr<StepResult> r = backend_.Instantiate(bytes);
      if (Failed(r, why)) return Outcome::kFail;
      if (r->status == SpecStatus::kCompileError) {
        *why = "module failed to compile: " + r->message;
        return Outcome::kFail;
      }
      if (r->status != SpecStatus::kOk) {
        *why = "module failed to instantiate: " + Explain(*r);
        return Outcome::kFail;
      }
      current_ = r->instance;
      current_failed_ = false;
      if (c.contains("name")) named_[c["name"].get<std::string>()] = r->instance;
      return Outcome::kPass;
    }
    if (type == "register") {
      std::optional<uint32_t> inst = current_;
      if (c.contains("name")) {
        auto it = named_.find(c["name"].get<std::string>());
        inst = it == named_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
      }
      if (!inst) {
        *why = "nothing to register";
        return current_failed_ ? Outcome::kSkip : Outcome::kFail;
      }
      absl::StatusOr<StepResult> r = backend_.Register(c.value("as", ""), *inst);
      if (Failed(r, why)) return Outcome::kFail;
      if (r->status != SpecStatus::kOk) {
        *why = "register: " + Explain(*r);
        return Outcome::kFail;
      }
      return Outcome::kPass;
    }
    if (type == "action" || type == "assert_return") {
      StepResult r;
      Outcome o = Act(c["action"], &r, why);
      if (o != Outcome::kPass) return o;
      if (r.status == SpecStatus::kTrap) {
        *why = std::string("trapped: ") + wasm::TrapMessage(r.trap);
        return Outcome::kFail;
      }
      if (type == "action") return Outcome::kPass;
      const json& expected = c.value("expected", json::array());
      bool ok = expected.size() == r.results.size();
      for (size_t i = 0; ok && i < r.results.size(); ++i) ok = Matches(expected[i], r.results[i]);
      if (!ok) {
        *why = "expected " + expected.dump() + " / got";
        for (const wasm::Value& v : r.results) *why += " " + Describe(v);
        return Outcome::kFail;
      }
      return Outcome::kPass;
    }
    if (type == "assert_trap" || type == "assert_exhaustion") {
      std::string text = c.value("text", "");
      if (!c.contains("action")) return ExpectInstantiation(c, SpecStatus::kTrap, why);
      StepResult r;
      Outcome o = Act(c["action"], &r, why);
      if (o != Outcome::kPass) return o;
      if (r.status != SpecStatus::kTrap) {
        *why = "expected trap '" + text + "' / returned normally";
        return Outcome::kFail;
      }
      std::string got = wasm::TrapMessage(r.trap);
      if (text.find(got) == std::string::npos) {
        *why = "expected trap '" + text + "' / got '" + got + "'";
        return Outcome::kFail;
      }
      return Outcome::kPass;
    }
    if (type == "assert_malformed" || type == "assert_invalid") {
      if (c.value("module_type", "binary") == "text") {
        *why = "not applicable";
        return Outcome::kSkip;
      }
      std::vector<uint8_t> bytes;
      if (!Load(c.value("filename", ""), &bytes, why)) return Outcome::kFail;
      absl::StatusOr<StepResult> r = backend_.Validate(bytes);
      if (Failed(r, why)) return Outcome::kFail;
      if (r->status != SpecStatus::kCompileError) {
        *why = "expected '" + c.value("text", "") + "' / module compiled";
        return Outcome::kFail;
      }
      if (options_.verbose) *why = r->message;
      return Outcome::kPass;
    }
    if (type == "assert_unlinkable") return ExpectInstantiation(c, SpecStatus::kLinkError, why);
    if (type == "assert_uninstantiable") return ExpectInstantiation(c, SpecStatus::kTrap, why);
    *why = "unknown command type '" + type + "'";
    return Outcome::kFail;
  }

  // assert_unlinkable, assert_uninstantiable and assert_trap on a module:
  // the module compiles and its instantiation fails with `want`.
  Outcome ExpectInstantiation(const json& c, SpecStatus want, std::string* why) {
    std::vector<uint8_t> bytes;
    if (!Load(c.value("filename", ""), &bytes, why)) return Outcome::kFail;
    absl::StatusOr<StepResult> r = backend_.Instantiate(bytes);
    if (Failed(r, why)) return Outcome::kFail;
    if (r->status == SpecStatus::kCompileError) {
      *why = "did not compile: " + r->message;
      return Outcome::kFail;
    }
    if (r->status != want) {
      *why = "expected '" + c.value("text", "") + "' / " +
             (r->status == SpecStatus::kOk ? std::string("instantiated") : Explain(*r));
      return Outcome::kFail;
    }
    return Outcome::kPass;
  }

  std::string dir_;
  std::string file_;
  const SpecOptions& options_;
  SpecBackend& backend_;
  std::ostream& out_;
  std::map<std::string, uint32_t> named_;
  std::optional<uint32_t> current_;
  bool current_failed_ = false;
};

}  // namespace

absl::Status RunSpecFile(const std::string& json_path, const SpecOptions& options,
                         SpecBackend& backend, SpecCounts* counts, std::set<std::string>* failures,
                         std::ostream& out) {
  std::ifstream in(json_path);
  if (!in) return absl::NotFoundError("cannot read " + json_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("commands") ||
      !doc["commands"].is_array()) {
    return absl::InvalidArgumentError(json_path + ": not a wast2json file");
  }
  size_t slash = json_path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : json_path.substr(0, slash);
  std::string file = slash == std::string::npos ? json_path : json_path.substr(slash + 1);
  if (absl::Status reset = backend.Reset(); !reset.ok()) {
    return absl::UnavailableError(json_path + ": " + std::string(reset.message()));
  }
  FileRunner runner(dir, file, options, backend, out);
  try {
    runner.Run(doc["commands"], counts, failures);
  } catch (const json::exception& e) {
    // A command with fields of the wrong JSON type: malformed input.
    return absl::InvalidArgumentError(json_path + ": " + e.what());
  }
  return absl::OkStatus();
}

}  // namespace palisade::spec
