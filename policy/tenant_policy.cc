#include "policy/tenant_policy.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text_proto.h"
#include "wasm/wasi/wasi_functions.h"

namespace palisade::policy {
namespace {

int FunctionIndex(const std::string& name) {
  return wasm::wasi::WasiFunctionIndex(name.data(), name.size());
}

absl::StatusOr<TenantPolicy> Compile(v1::Policy proto, const TextProtoFile& file) {
  std::vector<std::string> problems;
  const v1::WasiPolicy& w = proto.wasi();
  const uint32_t count = wasm::wasi::WasiFunctionCount();
  const uint64_t all = count == 64 ? ~0ull : (1ull << count) - 1;
  uint64_t allowed = w.allow_functions_size() == 0 ? all : 0;
  auto check_name = [&](const std::string& name, const char* field, int i) -> int {
    const int index = FunctionIndex(name);
    if (index < 0) {
      problems.push_back(absl::StrCat(file.Where(proto, {{"wasi", 0}, {field, i}}), ": wasi.", field, ": '",
                                      name, "' is not a WASI function palisade implements"));
    }
    return index;
  };
  for (int i = 0; i < w.allow_functions_size(); ++i) {
    const int index = check_name(w.allow_functions(i), "allow_functions", i);
    if (index >= 0) allowed |= 1ull << index;
  }
  for (int i = 0; i < w.deny_functions_size(); ++i) {
    const int index = check_name(w.deny_functions(i), "deny_functions", i);
    if (index < 0) continue;
    if (w.deny_functions(i) == "proc_exit") {
      problems.push_back(absl::StrCat(file.Where(proto, {{"wasi", 0}, {"deny_functions", i}}),
                                      ": wasi.deny_functions: proc_exit cannot be denied (a program "
                                      "must always be able to end)"));
      continue;
    }
    allowed &= ~(1ull << index);
  }
  allowed |= 1ull << FunctionIndex("proc_exit");  // never denied, listed or not
  const v1::Limits& l = proto.limits();
  if (l.max_memory_pages() > 65536) {
    problems.push_back(absl::StrCat(file.Where(proto, {{"limits", 0}, {"max_memory_pages", 0}}),
                                    ": limits.max_memory_pages: at most 65536 (4 GiB)"));
  }
  if (l.memory_bytes() != 0 && l.memory_bytes() < (16ull << 20)) {
    problems.push_back(absl::StrCat(file.Where(proto, {{"limits", 0}, {"memory_bytes", 0}}),
                                    ": limits.memory_bytes: at least 16 MiB (the guest runtime needs it)"));
  }
  if (proto.call_burst() != 0 && proto.calls_per_second() == 0) {
    problems.push_back(absl::StrCat(file.Where(proto, {{"call_burst", 0}}),
                                    ": call_burst: needs calls_per_second"));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));

  TenantPolicy p;
  p.proto = std::move(proto);
  p.path = file.filename;
  p.wasi_denied = all & ~allowed;
  p.refuse_denied_imports = w.on_denied() == v1::WasiPolicy::REFUSE_MODULE;
  p.clocks = !p.Denies("clock_time_get") && !p.Denies("clock_res_get");
  p.random = !p.Denies("random_get");
  p.compiler = p.proto.engine() != v1::Policy::ENGINE_INTERPRETER;
  return p;
}

}  // namespace

bool TenantPolicy::Denies(const std::string& wasi_function) const {
  const int index = FunctionIndex(wasi_function);
  return index >= 0 && (wasi_denied >> index & 1) != 0;
}

std::vector<std::string> TenantPolicy::DeniedFunctions() const {
  std::vector<std::string> names;
  for (uint32_t i = 0; i < wasm::wasi::WasiFunctionCount(); ++i) {
    if (wasi_denied >> i & 1) names.push_back(wasm::wasi::WasiFunctionAt(i).name);
  }
  return names;
}

absl::StatusOr<TenantPolicy> ParseTenantPolicy(const std::string& text, const std::string& filename) {
  v1::Policy proto;
  TextProtoFile file;
  file.filename = filename;
  if (absl::Status s = ParseTextProto(text, &proto, &file); !s.ok()) return s;
  return Compile(std::move(proto), file);
}

absl::StatusOr<TenantPolicy> LoadTenantPolicy(const std::string& path) {
  v1::Policy proto;
  TextProtoFile file;
  if (absl::Status s = LoadTextProto(path, &proto, &file); !s.ok()) {
    if (absl::IsNotFound(s)) return absl::NotFoundError("cannot read policy " + path);
    return s;
  }
  return Compile(std::move(proto), file);
}

}  // namespace palisade::policy
