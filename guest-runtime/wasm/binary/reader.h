// Reads the primitive encodings of the WebAssembly binary format (spec
// section 5.2): bytes, LEB128 integers with the exact length and range rules,
// IEEE floats, names (UTF-8 checked). Every read is bounds-checked; the first
// failure sticks, so a decoder can read a whole structure and check once.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/error.h"

namespace palisade::wasm {

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, uint32_t base_offset = 0)
      : data_(data), size_(size), base_(base_offset) {}

  bool ok() const { return error_.ok(); }
  const Error& error() const { return error_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  // Offset of the next byte in the whole module.
  uint32_t offset() const { return base_ + static_cast<uint32_t>(pos_); }
  void set_section(const char* section) { section_ = section; }

  uint8_t U8();
  uint32_t U32();  // unsigned LEB128, at most 5 bytes
  uint64_t U64();  // unsigned LEB128, at most 10 bytes
  int32_t S32();   // signed LEB128, at most 5 bytes
  int64_t S33();   // signed LEB128 as used by block types, at most 5 bytes
  int64_t S64();   // signed LEB128, at most 10 bytes
  uint32_t F32Bits();
  uint64_t F64Bits();
  // `n` raw bytes; nullptr (and an error) if fewer remain.
  const uint8_t* Bytes(size_t n);
  // A length-prefixed UTF-8 name. Returns its bytes and sets *len.
  const uint8_t* Name(uint32_t* len);
  // A sub-reader over the next `n` bytes (for a section or function body).
  Reader Sub(size_t n);

  // Records the first error; later ones are ignored.
  void Fail(ErrorKind kind, const char* message);

 private:
  uint64_t Unsigned(int max_bits);
  int64_t Signed(int max_bits);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint32_t base_;
  const char* section_ = "";
  Error error_;
};

// True if [p, p + n) is valid UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(const uint8_t* p, size_t n);

}  // namespace palisade::wasm
