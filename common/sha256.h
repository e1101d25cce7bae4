// SHA-256 (OpenSSL) as lowercase hex: module digests and token hashes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace palisade {

std::string Sha256Hex(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::string_view text);

// True if `s` is 64 lowercase hex digits.
bool IsSha256Hex(std::string_view s);

// Compares without an early exit, so timing says nothing about where two
// token hashes differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace palisade
