// x86-64 disassembly of guest code with Capstone, for crash reports (and,
// later, for auditing the guest image and compiled code).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade {

struct Instruction {
  uint64_t address = 0;
  uint8_t size = 0;
  std::string text;  // "mnemonic operands"
  std::string hex;   // the instruction bytes, "0f 0b"
};

class Disassembler {
 public:
  static absl::StatusOr<Disassembler> Create();
  Disassembler(Disassembler&& other) noexcept;
  Disassembler& operator=(Disassembler&& other) noexcept;
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;
  ~Disassembler();

  // Decodes up to `max` instructions of `code`, which starts at `address`;
  // stops at the first byte sequence that is not an instruction.
  std::vector<Instruction> Disassemble(std::span<const uint8_t> code, uint64_t address,
                                       size_t max) const;

 private:
  explicit Disassembler(size_t handle) : handle_(handle) {}
  size_t handle_ = 0;  // Capstone's csh
};

}  // namespace palisade
