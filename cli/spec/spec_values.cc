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

// Lane width in bytes of a v128 value's "lane_type", or 0.
int LaneBytes(const nlohmann::json& j) {
  if (!j.contains("lane_type") || !j["lane_type"].is_string()) return 0;
  const std::string& l = j["lane_type"].get_ref<const std::string&>();
  if (l == "i8") return 1;
  if (l == "i16") return 2;
  if (l == "i32" || l == "f32") return 4;
  if (l == "i64" || l == "f64") return 8;
  return 0;
}

bool IsFloatLanes(const nlohmann::json& j) {
  const std::string& l = j["lane_type"].get_ref<const std::string&>();
  return l == "f32" || l == "f64";
}

void SetLane(Value* v, int width, int lane, uint64_t bits) {
  for (int b = 0; b < width; ++b) {
    int byte = lane * width + b;
    uint64_t& word = v->bits[byte / 8];
    int shift = (byte % 8) * 8;
    word = (word & ~(0xffull << shift)) | (((bits >> (b * 8)) & 0xff) << shift);
  }
}

uint64_t GetLane(const Value& v, int width, int lane) {
  uint64_t bits = 0;
  for (int b = 0; b < width; ++b) {
    int byte = lane * width + b;
    bits |= ((v.bits[byte / 8] >> ((byte % 8) * 8)) & 0xff) << (b * 8);
  }
  return bits;
}

// A float (f32 or f64 by width) NaN of the kind `pattern` names.
bool MatchesNan(const std::string& pattern, int width, uint64_t bits) {
  bool canonical = pattern == "nan:canonical";
  if (width == 4) {
    uint32_t b = static_cast<uint32_t>(bits) & 0x7fffffffu;
    return canonical ? b == 0x7fc00000u : (b & 0x7fc00000u) == 0x7fc00000u;
  }
  uint64_t b = bits & 0x7fffffffffffffffull;
  return canonical ? b == 0x7ff8000000000000ull
                   : (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

bool IsNanPattern(const nlohmann::json& j) {
  return j.is_string() && (j.get_ref<const std::string&>() == "nan:canonical" ||
                           j.get_ref<const std::string&>() == "nan:arithmetic");
}

absl::StatusOr<Value> ParseV128(const nlohmann::json& j) {
  int width = LaneBytes(j);
  if (width == 0) return absl::InvalidArgumentError("v128 value without a lane_type");
  const nlohmann::json& lanes = j.contains("value") ? j["value"] : nlohmann::json();
  if (!lanes.is_array() || static_cast<int>(lanes.size()) != 16 / width) {
    return absl::InvalidArgumentError("v128 value with the wrong number of lanes");
  }
  Value v;
  v.type = ValType::kV128;
  for (int i = 0; i < 16 / width; ++i) {
    absl::StatusOr<uint64_t> n = ParseU64(lanes[i]);
    if (!n.ok()) return n.status();
    SetLane(&v, width, i, *n);
  }
  return v;
}

bool MatchesV128(const nlohmann::json& expected, const Value& actual) {
  int width = LaneBytes(expected);
  const nlohmann::json& lanes = expected.contains("value") ? expected["value"] : nlohmann::json();
  if (width == 0 || !lanes.is_array() || static_cast<int>(lanes.size()) != 16 / width) return false;
  uint64_t mask = width == 8 ? ~0ull : (1ull << (width * 8)) - 1;
  for (int i = 0; i < 16 / width; ++i) {
    uint64_t got = GetLane(actual, width, i);
    if (IsNanPattern(lanes[i])) {
      if (!IsFloatLanes(expected) || !MatchesNan(lanes[i].get<std::string>(), width, got)) {
        return false;
      }
      continue;
    }
    absl::StatusOr<uint64_t> want = ParseU64(lanes[i]);
    if (!want.ok() || (*want & mask) != got) return false;
  }
  return true;
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
  if (*t == ValType::kV128) return ParseV128(j);
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
  if (*t == ValType::kV128) return MatchesV128(expected, actual);
  const nlohmann::json& val = expected.contains("value") ? expected["value"] : nlohmann::json();
  if (IsNanPattern(val)) {
    if (*t == ValType::kF32) return MatchesNan(val.get<std::string>(), 4, actual.bits[0]);
    if (*t == ValType::kF64) return MatchesNan(val.get<std::string>(), 8, actual.bits[0]);
    return false;
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
    case ValType::kV128:
      std::snprintf(buf, sizeof buf, "v128:0x%016" PRIx64 "%016" PRIx64, v.bits[1], v.bits[0]);
      break;
    default: std::snprintf(buf, sizeof buf, "?"); break;
  }
  return buf;
}

}  // namespace palisade::spec
