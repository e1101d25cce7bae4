#include "cli/spec/spec_runner.h"

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/spec/spec_values.h"
#include "cli/spec/spectest_host.h"
#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"

namespace palisade::spec {

namespace {

using nlohmann::json;

struct StoreDeleter {
  void operator()(wasm::Store* s) const { wasm::FreeStore(s); }
};
struct ModuleDeleter {
  void operator()(wasm::CompiledModule* m) const { wasm::FreeCompiledModule(m); }
};

// A compiled module and the bytes it points into.
struct LoadedModule {
  std::vector<uint8_t> bytes;
  std::unique_ptr<wasm::CompiledModule, ModuleDeleter> module;
};

enum class Outcome { kPass, kFail, kSkip };

class FileRunner {
 public:
  FileRunner(std::string dir, std::string file, const SpecOptions& options, std::ostream& out)
      : dir_(std::move(dir)), file_(std::move(file)), options_(options), out_(out) {
    wasm::StoreLimits limits;
    limits.max_call_depth = 20000;
    store_.reset(wasm::NewStore(limits, wasm::HostMemoryProvider()));
    spectest_ = MakeSpectest(store_.get());
  }

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
  absl::Status Load(const std::string& filename, LoadedModule* out, wasm::Error* error) {
    std::ifstream in(dir_ + "/" + filename, std::ios::binary);
    if (!in) return absl::NotFoundError("cannot read " + dir_ + "/" + filename);
    out->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    wasm::CompiledModule* m = nullptr;
    *error = wasm::CompileModule(out->bytes.data(), out->bytes.size(), &m);
    out->module.reset(m);
    return absl::OkStatus();
  }

  // Resolves a module's imports among spectest and the registered modules.
  bool ResolveImports(const wasm::CompiledModule* cm, std::vector<wasm::Extern>* externs,
                      std::string* why) {
    const wasm::Module& m = wasm::GetModule(cm);
    for (const wasm::Import& imp : m.imports) {
      std::string mod(reinterpret_cast<const char*>(m.bytes + imp.module.offset), imp.module.size);
      std::string name(reinterpret_cast<const char*>(m.bytes + imp.name.offset), imp.name.size);
      wasm::Extern e;
      bool found = false;
      if (mod == "spectest") {
        auto it = spectest_.find(name);
        if (it != spectest_.end()) {
          e = it->second;
          found = true;
        }
      } else if (auto it = registered_.find(mod); it != registered_.end()) {
        found = wasm::FindExport(it->second, name.data(), name.size(), &e);
      }
      if (!found) {
        *why = "unknown import " + mod + "." + name;
        return false;
      }
      externs->push_back(e);
    }
    return true;
  }

  wasm::InstantiateResult Instantiate(const wasm::CompiledModule* cm, std::string* why) {
    std::vector<wasm::Extern> externs;
    if (!ResolveImports(cm, &externs, why)) {
      wasm::InstantiateResult r;
      r.status = wasm::InstantiateStatus::kLinkError;
      return r;
    }
    wasm::InstantiateResult r = wasm::Instantiate(store_.get(), cm, externs.data(), externs.size());
    if (r.status == wasm::InstantiateStatus::kLinkError) *why = r.error.message;
    if (r.status == wasm::InstantiateStatus::kTrap) *why = wasm::TrapMessage(r.trap.kind);
    return r;
  }

  wasm::Instance* Target(const json& action, std::string* why) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      if (it == named_.end()) {
        *why = "no module named " + action["module"].get<std::string>();
        return nullptr;
      }
      return it->second;
    }
    if (current_ == nullptr) *why = "no current module";
    return current_;
  }

  // Runs an action; on success *results holds its values.
  Outcome Act(const json& action, std::vector<wasm::Value>* results, wasm::Trap* trap,
              std::string* why) {
    wasm::Instance* inst = Target(action, why);
    if (inst == nullptr) return current_failed_ ? Outcome::kSkip : Outcome::kFail;
    std::string field = action.value("field", "");
    wasm::Extern e;
    if (!wasm::FindExport(inst, field.data(), field.size(), &e)) {
      *why = "no export " + field;
      return Outcome::kFail;
    }
    std::string type = action.value("type", "");
    if (type == "get") {
      if (e.kind != wasm::ExternKind::kGlobal) {
        *why = field + " is not a global";
        return Outcome::kFail;
      }
      results->push_back(wasm::GetGlobal(static_cast<wasm::GlobalInst*>(e.object)));
      return Outcome::kPass;
    }
    if (type != "invoke") {
      *why = "unknown action " + type;
      return Outcome::kFail;
    }
    if (e.kind != wasm::ExternKind::kFunc) {
      *why = field + " is not a function";
      return Outcome::kFail;
    }
    std::vector<wasm::Value> args;
    for (const json& a : action.value("args", json::array())) {
      absl::StatusOr<wasm::Value> v = ParseValue(a);
      if (!v.ok()) {
        *why = std::string(v.status().message());
        return Outcome::kFail;
      }
      args.push_back(*v);
    }
    results->assign(16, wasm::Value());
    auto* f = static_cast<wasm::FuncInst*>(e.object);
    *trap = wasm::Invoke(store_.get(), f, args.data(), args.size(), results->data(), results->size());
    const wasm::ValType* p;
    const wasm::ValType* r;
    uint32_t np, nr;
    wasm::GetFuncSignature(f, &p, &np, &r, &nr);
    results->resize(nr);
    return Outcome::kPass;
  }

  Outcome Command(const json& c, const std::string& type, std::string* why) {
    if (type == "module") {
      LoadedModule lm;
      wasm::Error err;
      absl::Status s = Load(c.value("filename", ""), &lm, &err);
      current_ = nullptr;
      current_failed_ = true;
      if (!s.ok()) {
        *why = std::string(s.message());
        return Outcome::kFail;
      }
      if (!err.ok()) {
        *why = std::string("module failed to compile: ") + err.message;
        return Outcome::kFail;
      }
      wasm::InstantiateResult r = Instantiate(lm.module.get(), why);
      modules_.push_back(std::move(lm));
      if (r.status != wasm::InstantiateStatus::kOk) {
        *why = "module failed to instantiate: " + *why;
        return Outcome::kFail;
      }
      current_ = r.instance;
      current_failed_ = false;
      if (c.contains("name")) named_[c["name"].get<std::string>()] = current_;
      return Outcome::kPass;
    }
    if (type == "register") {
      wasm::Instance* inst = c.contains("name") ? nullptr : current_;
      if (c.contains("name")) {
        auto it = named_.find(c["name"].get<std::string>());
        if (it != named_.end()) inst = it->second;
      }
      if (inst == nullptr) {
        *why = "nothing to register";
        return current_failed_ ? Outcome::kSkip : Outcome::kFail;
      }
      registered_[c.value("as", "")] = inst;
      return Outcome::kPass;
    }
    if (type == "action" || type == "assert_return") {
      std::vector<wasm::Value> results;
      wasm::Trap trap;
      Outcome o = Act(c["action"], &results, &trap, why);
      if (o != Outcome::kPass) return o;
      if (!trap.ok()) {
        *why = std::string("trapped: ") + wasm::TrapMessage(trap.kind);
        return Outcome::kFail;
      }
      if (type == "action") return Outcome::kPass;
      const json& expected = c.value("expected", json::array());
      bool ok = expected.size() == results.size();
      for (size_t i = 0; ok && i < results.size(); ++i) ok = Matches(expected[i], results[i]);
      if (!ok) {
        *why = "expected " + expected.dump() + " / got";
        for (const wasm::Value& v : results) *why += " " + Describe(v);
        return Outcome::kFail;
      }
      return Outcome::kPass;
    }
    if (type == "assert_trap" || type == "assert_exhaustion") {
      std::string text = c.value("text", "");
      if (!c.contains("action")) return AssertModuleTrap(c, text, why);
      std::vector<wasm::Value> results;
      wasm::Trap trap;
      Outcome o = Act(c["action"], &results, &trap, why);
      if (o != Outcome::kPass) return o;
      if (trap.ok()) {
        *why = "expected trap '" + text + "' / returned normally";
        return Outcome::kFail;
      }
      std::string got = wasm::TrapMessage(trap.kind);
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
      LoadedModule lm;
      wasm::Error err;
      absl::Status s = Load(c.value("filename", ""), &lm, &err);
      if (!s.ok()) {
        *why = std::string(s.message());
        return Outcome::kFail;
      }
      if (err.ok()) {
        *why = "expected '" + c.value("text", "") + "' / module compiled";
        return Outcome::kFail;
      }
      if (options_.verbose) *why = err.message;
      return Outcome::kPass;
    }
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      LoadedModule lm;
      wasm::Error err;
      absl::Status s = Load(c.value("filename", ""), &lm, &err);
      if (!s.ok() || !err.ok()) {
        *why = !s.ok() ? std::string(s.message()) : std::string("did not compile: ") + err.message;
        return Outcome::kFail;
      }
      wasm::InstantiateResult r = Instantiate(lm.module.get(), why);
      modules_.push_back(std::move(lm));
      wasm::InstantiateStatus want = type == "assert_unlinkable" ? wasm::InstantiateStatus::kLinkError
                                                                 : wasm::InstantiateStatus::kTrap;
      if (r.status != want) {
        *why = "expected '" + c.value("text", "") + "' / " +
               (r.status == wasm::InstantiateStatus::kOk ? std::string("instantiated") : *why);
        return Outcome::kFail;
      }
      return Outcome::kPass;
    }
    *why = "unknown command type '" + type + "'";
    return Outcome::kFail;
  }

  Outcome AssertModuleTrap(const json& c, const std::string& text, std::string* why) {
    LoadedModule lm;
    wasm::Error err;
    absl::Status s = Load(c.value("filename", ""), &lm, &err);
    if (!s.ok() || !err.ok()) {
      *why = !s.ok() ? std::string(s.message()) : std::string("did not compile: ") + err.message;
      return Outcome::kFail;
    }
    wasm::InstantiateResult r = Instantiate(lm.module.get(), why);
    modules_.push_back(std::move(lm));
    if (r.status != wasm::InstantiateStatus::kTrap) {
      *why = "expected trap '" + text + "' / " +
             (r.status == wasm::InstantiateStatus::kOk ? std::string("instantiated") : *why);
      return Outcome::kFail;
    }
    return Outcome::kPass;
  }

  std::string dir_;
  std::string file_;
  const SpecOptions& options_;
  std::ostream& out_;
  std::vector<LoadedModule> modules_;  // before store_: instances point into them
  std::unique_ptr<wasm::Store, StoreDeleter> store_;
  std::map<std::string, wasm::Extern> spectest_;
  std::map<std::string, wasm::Instance*> named_;
  std::map<std::string, wasm::Instance*> registered_;
  wasm::Instance* current_ = nullptr;
  bool current_failed_ = false;
};

}  // namespace

absl::Status RunSpecFile(const std::string& json_path, const SpecOptions& options,
                         SpecCounts* counts, std::set<std::string>* failures, std::ostream& out) {
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
  FileRunner runner(dir, file, options, out);
  try {
    runner.Run(doc["commands"], counts, failures);
  } catch (const json::exception& e) {
    // A command with fields of the wrong JSON type: malformed input.
    return absl::InvalidArgumentError(json_path + ": " + e.what());
  }
  return absl::OkStatus();
}

}  // namespace palisade::spec
