#include "cli/invoke_command.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/run_command.h"
#include "cli/wasm_loader.h"
#include "wasm/host/wasi_host_system.h"

namespace palisade::cli {

namespace {

// Parses `text` as a value of type `t`: integers in decimal (signed or
// unsigned) or 0x hex, floats in any strtod form (inf, nan, hex floats).
bool ParseArg(const std::string& text, wasm::ValType t, wasm::Value* out) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  switch (t) {
    case wasm::ValType::kI32:
    case wasm::ValType::kI64: {
      bool neg = s[0] == '-';
      uint64_t v = neg ? static_cast<uint64_t>(std::strtoll(s, &end, 0)) : std::strtoull(s, &end, 0);
      if (text.empty() || *end != '\0' || errno != 0) return false;
      if (t == wasm::ValType::kI32) {
        int64_t sv = static_cast<int64_t>(v);
        if (neg ? sv < INT32_MIN : v > UINT32_MAX) return false;
        *out = wasm::Value::I32(static_cast<uint32_t>(v));
      } else {
        *out = wasm::Value::I64(v);
      }
      return true;
    }
    case wasm::ValType::kF32: {
      float f = std::strtof(s, &end);
      if (text.empty() || *end != '\0') return false;
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      *out = wasm::Value::F32Bits(bits);
      return true;
    }
    case wasm::ValType::kF64: {
      double d = std::strtod(s, &end);
      if (text.empty() || *end != '\0') return false;
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      *out = wasm::Value::F64Bits(bits);
      return true;
    }
    default:
      return false;
  }
}

const char* TypeName(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::kI32: return "i32";
    case wasm::ValType::kI64: return "i64";
    case wasm::ValType::kF32: return "f32";
    case wasm::ValType::kF64: return "f64";
    case wasm::ValType::kV128: return "v128";
    case wasm::ValType::kFuncRef: return "funcref";
    case wasm::ValType::kExternRef: return "externref";
  }
  return "?";
}

// Prints a result so that it reads back exactly: integers signed, floats
// with enough digits to round-trip.
void Print(const wasm::Value& v) {
  switch (v.type) {
    case wasm::ValType::kI32: std::printf("%" PRId32 "\n", static_cast<int32_t>(v.i32())); break;
    case wasm::ValType::kI64: std::printf("%" PRId64 "\n", static_cast<int64_t>(v.i64())); break;
    case wasm::ValType::kF32: {
      uint32_t b = v.i32();
      float f;
      std::memcpy(&f, &b, 4);
      std::printf("%.9g\n", static_cast<double>(f));
      break;
    }
    case wasm::ValType::kF64: {
      uint64_t b = v.i64();
      double d;
      std::memcpy(&d, &b, 8);
      std::printf("%.17g\n", d);
      break;
    }
    default:
      std::printf("%s:%s\n", TypeName(v.type), v.bits[0] == 0 ? "null" : "ref");
      break;
  }
}

}  // namespace

int RunInvoke(const InvokeOptions& o) {
  if (!o.in_process) {
    std::cerr << "palisade invoke: only --in-process is available yet (warm micro-VM sandboxes "
                 "come with issue 5)\n";
    return kExitUsage;
  }
  static wasm::HostWasiSystem system;
  LoadOptions lo;
  lo.args.push_back(o.module);
  auto program = LoadProgram(o.module, &system, lo);
  if (!program.ok()) {
    std::cerr << "palisade invoke: " << program.status().message() << "\n";
    return program.status().code() == absl::StatusCode::kAborted ? kExitTrap : kExitUsage;
  }
  LoadedProgram& p = **program;
  wasm::Extern e;
  if (!wasm::FindExport(p.instance, o.function.data(), o.function.size(), &e) ||
      e.kind != wasm::ExternKind::kFunc) {
    std::cerr << "palisade invoke: " << o.module << " exports no function '" << o.function << "'\n";
    return kExitUsage;
  }
  auto* f = static_cast<wasm::FuncInst*>(e.object);
  const wasm::ValType* params;
  const wasm::ValType* results;
  uint32_t np, nr;
  wasm::GetFuncSignature(f, &params, &np, &results, &nr);
  if (o.args.size() != np) {
    std::cerr << "palisade invoke: " << o.function << " takes " << np << " argument(s) (";
    for (uint32_t i = 0; i < np; ++i) std::cerr << (i ? " " : "") << TypeName(params[i]);
    std::cerr << "), got " << o.args.size() << "\n";
    return kExitUsage;
  }
  std::vector<wasm::Value> args(np);
  for (uint32_t i = 0; i < np; ++i) {
    if (!ParseArg(o.args[i], params[i], &args[i])) {
      std::cerr << "palisade invoke: argument " << i + 1 << " '" << o.args[i] << "' is not a valid "
                << TypeName(params[i]) << "\n";
      return kExitUsage;
    }
  }
  std::vector<wasm::Value> out(nr);
  wasm::Trap trap = wasm::Invoke(p.store.get(), f, args.data(), args.size(), out.data(), out.size());
  if (trap.kind == wasm::TrapKind::kExit) return trap.exit_code & 0xff;
  if (!trap.ok()) {
    std::cerr << "palisade: trap: " << DescribeTrap(p, trap) << "\n";
    return kExitTrap;
  }
  for (const wasm::Value& v : out) Print(v);
  return 0;
}

}  // namespace palisade::cli
