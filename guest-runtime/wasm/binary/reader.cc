#include "wasm/binary/reader.h"

namespace palisade::wasm {

void Reader::Fail(ErrorKind kind, const char* message) {
  if (error_.ok()) error_ = MakeError(kind, offset(), section_, message);
  pos_ = size_;  // stop: nothing after a failure is meaningful
}

uint8_t Reader::U8() {
  if (pos_ >= size_) {
    Fail(ErrorKind::kMalformed, "unexpected end");
    return 0;
  }
  return data_[pos_++];
}

// LEB128 as the spec restricts it: at most ceil(N/7) bytes, and the unused
// bits of the last byte must be zero (unsigned) or a sign extension (signed).
uint64_t Reader::Unsigned(int max_bits) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= size_) {
      Fail(ErrorKind::kMalformed, "unexpected end");
      return 0;
    }
    const uint8_t byte = data_[pos_++];
    const int left = max_bits - shift;  // value bits this byte may still carry
    if (left <= 7) {
      if (byte & 0x80) {
        Fail(ErrorKind::kMalformed, "integer representation too long");
        return 0;
      }
      if (left < 7 && (byte >> left) != 0) {
        Fail(ErrorKind::kMalformed, "integer too large");
        return 0;
      }
      return result | (uint64_t{byte} << shift);
    }
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return result;
  }
}

int64_t Reader::Signed(int max_bits) {
  int64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= size_) {
      Fail(ErrorKind::kMalformed, "unexpected end");
      return 0;
    }
    const uint8_t byte = data_[pos_++];
    const int left = max_bits - shift;
    if (left <= 7) {
      if (byte & 0x80) {
        Fail(ErrorKind::kMalformed, "integer representation too long");
        return 0;
      }
      // Bits from the sign bit (left - 1) up to bit 6 must all equal it.
      const int sign_and_pad = static_cast<int8_t>(byte << 1) >> left;
      if (left < 7 && sign_and_pad != 0 && sign_and_pad != -1) {
        Fail(ErrorKind::kMalformed, "integer too large");
        return 0;
      }
      uint64_t bits = uint64_t{byte & 0x7fu} << shift;
      result |= static_cast<int64_t>(bits);
      const int total = shift + 7;
      if (total < 64 && (byte & 0x40)) result |= static_cast<int64_t>(~uint64_t{0} << total);
      return result;
    }
    result |= static_cast<int64_t>(uint64_t{byte & 0x7fu} << shift);
    if ((byte & 0x80) == 0) {
      if (byte & 0x40) result |= static_cast<int64_t>(~uint64_t{0} << (shift + 7));
      return result;
    }
  }
}

uint32_t Reader::U32() { return static_cast<uint32_t>(Unsigned(32)); }
uint64_t Reader::U64() { return Unsigned(64); }
int32_t Reader::S32() { return static_cast<int32_t>(Signed(32)); }
int64_t Reader::S33() { return Signed(33); }
int64_t Reader::S64() { return Signed(64); }

const uint8_t* Reader::Bytes(size_t n) {
  if (n > size_ - pos_) {
    Fail(ErrorKind::kMalformed, "unexpected end");
    return nullptr;
  }
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

uint32_t Reader::F32Bits() {
  const uint8_t* p = Bytes(4);
  if (p == nullptr) return 0;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint64_t Reader::F64Bits() {
  const uint8_t* p = Bytes(8);
  if (p == nullptr) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

const uint8_t* Reader::Name(uint32_t* len) {
  *len = U32();
  if (!ok()) return nullptr;
  const uint8_t* p = Bytes(*len);
  if (p != nullptr && !IsValidUtf8(p, *len)) {
    Fail(ErrorKind::kMalformed, "malformed UTF-8 encoding");
    return nullptr;
  }
  return p;
}

Reader Reader::Sub(size_t n) {
  const uint32_t start = offset();
  const uint8_t* p = Bytes(n);
  Reader sub(p, p != nullptr ? n : 0, start);
  sub.section_ = section_;
  return sub;
}

bool IsValidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((b & 0xe0) == 0xc0) {
      len = 2;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (len > n - i) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace palisade::wasm
