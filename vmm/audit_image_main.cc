// palisade_audit_image GUEST.elf: the image audit (image_audit.h) at build
// time. The build runs it on the production guest before embedding it and
// fails on any violation, so the embedded image needs no audit at run time
// (a cold `palisade run` would otherwise spend ~20 ms in Capstone).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "vmm/elf_image.h"
#include "vmm/image_audit.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: palisade_audit_image GUEST.elf\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.eof() && in.fail()) {
    std::fprintf(stderr, "palisade_audit_image: cannot read %s\n", argv[1]);
    return 2;
  }
  auto image = palisade::ElfImage::Parse(file, palisade::GuestImageWindow());
  if (!image.ok()) {
    std::fprintf(stderr, "palisade_audit_image: %s: %s\n", argv[1],
                 std::string(image.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = palisade::AuditGuestImage(*image, file); !s.ok()) {
    std::fprintf(stderr, "palisade_audit_image: %s: %s\n", argv[1], std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
