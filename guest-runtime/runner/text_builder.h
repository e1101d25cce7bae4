// Builds short messages (for the host) without printf: fixed capacity,
// silently truncated.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::guest {

class TextBuilder {
 public:
  TextBuilder& Add(const char* s) {
    while (*s != '\0') Put(*s++);
    return *this;
  }
  TextBuilder& Add(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) Put(s[i]);
    return *this;
  }
  TextBuilder& AddHex(uint64_t v) {
    Add("0x");
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    while (n > 0) Put(digits[--n]);
    return *this;
  }
  const char* data() const { return buf_; }
  size_t size() const { return len_; }

 private:
  void Put(char c) {
    if (len_ < sizeof(buf_)) buf_[len_++] = c;
  }
  char buf_[512];
  size_t len_ = 0;
};

}  // namespace palisade::guest
