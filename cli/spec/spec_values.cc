#include "cli/spec/spec_values.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace palisade::spec {

using wasm::Value;
using wasm::ValType;

namespace {

absl::StatusOr<uint64_t> ParseU64(const nlohmann::json& j) {
  if (!j.is_string()) return absl::InvalidArgumentError("value is not a string");
  const std::string& s = j.get_ref<const std::string&>();
  char* end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0) {
    return absl::InvalidArgumentError("bad number '" + s + "'");
  }
  return v;
}

absl::StatusOr<ValType> ParseType(const std::string& t) {
  if (t == "i32") return ValType::kI32;
  if (t == "i64") return ValType::kI64;
  if (t == "f32") return ValType::kF32;
  if (t == "f64") return ValType::kF64;
  if (t == "v128") return ValType::kV128;
  if (t == "funcref") return ValType::kFuncRef;
  if (t == "externref") return ValType::kExternRef;
  return absl::InvalidArgumentError("unknown value type '" + t + "'");
}

}  // namespace

absl::StatusOr<Value> ParseValue(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return absl::InvalidArgumentError("value without a type");
  }
  absl::StatusOr<ValType> t = ParseType(j["type"].get<std::string>());
  if (!t.ok()) return t.status();
  Value v;
  v.type = *t;
  if (*t == ValType::kV128) return absl::UnimplementedError("v128 values are not supported yet");
  const nlohmann::json& val = j.contains("value") ? j["value"] : nlohmann::json();
  if (*t == ValType::kFuncRef || *t == ValType::kExternRef) {
    if (val.is_string() && val.get<std::string>() == "null") return v;
    absl::StatusOr<uint64_t> n = ParseU64(val);
    if (!n.ok()) return n.status();
    v.bits[0] = *n + 1;
    return v;
  }
  absl::StatusOr<uint64_t> n = ParseU64(val);
  if (!n.ok()) return n.status();
  v.bits[0] = *n;
  return v;
}

bool Matches(const nlohmann::json& expected, const Value& actual) {
  if (!expected.is_object() || !expected.contains("type")) return false;
  absl::StatusOr<ValType> t = ParseType(expected["type"].get<std::string>());
  if (!t.ok() || *t != actual.type) return false;
  const nlohmann::json& val = expected.contains("value") ? expected["value"] : nlohmann::json();
  if (val.is_string()) {
    const std::string& s = val.get_ref<const std::string&>();
    if (s == "nan:canonical" || s == "nan:arithmetic") {
      bool canonical = s == "nan:canonical";
      if (*t == ValType::kF32) {
        uint32_t b = static_cast<uint32_t>(actual.bits[0]) & 0x7fffffffu;
        return canonical ? b == 0x7fc00000u : (b & 0x7fc00000u) == 0x7fc00000u;
      }
      if (*t == ValType::kF64) {
        uint64_t b = actual.bits[0] & 0x7fffffffffffffffull;
        return canonical ? b == 0x7ff8000000000000ull
                         : (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
      }
      return false;
    }
  }
  if ((*t == ValType::kFuncRef || *t == ValType::kExternRef) && val.is_null()) {
    return actual.bits[0] != 0;  // any non-null reference
  }
  absl::StatusOr<Value> want = ParseValue(expected);
  if (!want.ok()) return false;
  uint64_t mask = (*t == ValType::kI32 || *t == ValType::kF32) ? 0xffffffffull : ~0ull;
  return (want->bits[0] & mask) == (actual.bits[0] & mask);
}

std::string Describe(const Value& v) {
  char buf[64];
  switch (v.type) {
    case ValType::kI32: std::snprintf(buf, sizeof buf, "i32:%" PRIu32, v.i32()); break;
    case ValType::kI64: std::snprintf(buf, sizeof buf, "i64:%" PRIu64, v.i64()); break;
    case ValType::kF32: std::snprintf(buf, sizeof buf, "f32:0x%08" PRIx32, v.i32()); break;
    case ValType::kF64: std::snprintf(buf, sizeof buf, "f64:0x%016" PRIx64, v.i64()); break;
    case ValType::kFuncRef: std::snprintf(buf, sizeof buf, "funcref:%s", v.bits[0] ? "func" : "null"); break;
    case ValType::kExternRef:
      if (v.bits[0] == 0) std::snprintf(buf, sizeof buf, "externref:null");
      else std::snprintf(buf, sizeof buf, "externref:%" PRIu64, v.bits[0] - 1);
      break;
    default: std::snprintf(buf, sizeof buf, "v128"); break;
  }
  return buf;
}

}  // namespace palisade::spec
