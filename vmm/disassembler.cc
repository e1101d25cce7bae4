#include "vmm/disassembler.h"

#include <capstone/capstone.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace palisade {

absl::StatusOr<Disassembler> Disassembler::Create() {
  csh handle;
  if (cs_err err = cs_open(CS_ARCH_X86, CS_MODE_64, &handle); err != CS_ERR_OK) {
    return absl::InternalError(absl::StrCat("capstone: ", cs_strerror(err)));
  }
  return Disassembler(handle);
}

Disassembler::Disassembler(Disassembler&& other) noexcept
    : handle_(std::exchange(other.handle_, 0)) {}

Disassembler& Disassembler::operator=(Disassembler&& other) noexcept {
  if (this != &other) {
    if (handle_ != 0) cs_close(&handle_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

Disassembler::~Disassembler() {
  if (handle_ != 0) cs_close(&handle_);
}

std::vector<Instruction> Disassembler::Disassemble(std::span<const uint8_t> code,
                                                   uint64_t address, size_t max) const {
  std::vector<Instruction> out;
  cs_insn* insn = cs_malloc(handle_);
  if (insn == nullptr) return out;
  const uint8_t* p = code.data();
  size_t left = code.size();
  uint64_t addr = address;
  while (out.size() < max && cs_disasm_iter(handle_, &p, &left, &addr, insn)) {
    Instruction i;
    i.address = insn->address;
    i.size = static_cast<uint8_t>(insn->size);
    i.text = insn->op_str[0] != '\0' ? absl::StrCat(insn->mnemonic, " ", insn->op_str)
                                     : std::string(insn->mnemonic);
    for (uint16_t b = 0; b < insn->size; ++b) {
      if (b != 0) i.hex.push_back(' ');
      absl::StrAppendFormat(&i.hex, "%02x", insn->bytes[b]);
    }
    out.push_back(std::move(i));
  }
  cs_free(insn, 1);
  return out;
}

}  // namespace palisade
