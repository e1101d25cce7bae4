#include "cli/fuzz/crash_files.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace palisade::cli::fuzz {

namespace {

absl::Status WriteAtomically(const std::string& path, std::span<const uint8_t> bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return absl::UnavailableError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Sha1Hex(std::span<const uint8_t> bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

absl::StatusOr<std::string> SaveCrash(const std::string& dir, std::span<const uint8_t> input,
                                      const std::string& reason) {
  std::string base = dir;
  if (!base.empty() && base.back() != '/') base += '/';
  std::string path = base + "crash-" + Sha1Hex(input);
  std::string line = reason + "\n";
  if (absl::Status s = WriteAtomically(path, input); !s.ok()) return s;
  if (absl::Status s = WriteAtomically(path + ".txt", std::span(reinterpret_cast<const uint8_t*>(line.data()),
                                                                 line.size()));
      !s.ok()) {
    return s;
  }
  return path;
}

}  // namespace palisade::cli::fuzz
