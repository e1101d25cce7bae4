// Vec<T>: the engine's growable array. Standard containers report allocation
// failure by throwing, which the freestanding guest cannot do; Vec reports it
// by returning false, and every caller turns that into an Error or a trap.
// T must be trivially copyable (elements move with memcpy).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

#include "wasm/support/alloc.h"

namespace palisade::wasm {

template <typename T>
class Vec {
  static_assert(std::is_trivially_copyable_v<T>, "Vec moves elements with memcpy");

 public:
  Vec() = default;
  ~Vec() { EngineFree(data_); }
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;
  Vec(Vec&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) {
    o.data_ = nullptr;
    o.size_ = o.cap_ = 0;
  }
  Vec& operator=(Vec&& o) noexcept {
    if (this != &o) {
      EngineFree(data_);
      data_ = o.data_;
      size_ = o.size_;
      cap_ = o.cap_;
      o.data_ = nullptr;
      o.size_ = o.cap_ = 0;
    }
    return *this;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  [[nodiscard]] bool reserve(size_t n) {
    if (n <= cap_) return true;
    if (n > SIZE_MAX / sizeof(T)) return false;
    void* p = EngineRealloc(data_, cap_ * sizeof(T), n * sizeof(T));
    if (p == nullptr) return false;
    data_ = static_cast<T*>(p);
    cap_ = n;
    return true;
  }
  [[nodiscard]] bool push_back(const T& v) {
    if (size_ == cap_ && !reserve(cap_ < 8 ? 8 : cap_ * 2)) return false;
    data_[size_++] = v;
    return true;
  }
  // Grows to n elements, the new ones value-initialised (zero).
  [[nodiscard]] bool resize(size_t n) {
    if (!reserve(n)) return false;
    for (size_t i = size_; i < n; ++i) data_[i] = T{};
    size_ = n;
    return true;
  }
  // Grows to n elements, the new ones left as they are: for arrays whose
  // every element is written before it is read, where zeroing would be a
  // second pass over memory for nothing.
  [[nodiscard]] bool resize_for_overwrite(size_t n) {
    if (!reserve(n)) return false;
    size_ = n;
    return true;
  }
  // Appends n bytes' worth of raw elements.
  [[nodiscard]] bool append(const T* p, size_t n) {
    if (n > SIZE_MAX - size_) return false;
    if (size_ + n > cap_ && !reserve(size_ + n > cap_ * 2 ? size_ + n : cap_ * 2)) return false;
    for (size_t i = 0; i < n; ++i) data_[size_ + i] = p[i];
    size_ += n;
    return true;
  }
  void pop_back() { --size_; }
  void shrink(size_t n) { if (n < size_) size_ = n; }
  void clear() { size_ = 0; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace palisade::wasm
