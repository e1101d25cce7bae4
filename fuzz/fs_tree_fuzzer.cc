// The preopened directories' tree (wasm/wasi/fs_tree.h) under any sequence
// of changes a program could ask for, names drawn from the input (empty,
// ".", "..", NUL, '/', invalid UTF-8, over-long), on a small image with one
// writable and one read-only root and tight bounds. After every sequence the
// bounds must hold and the exported change set must pass the host's own
// validation (FsChanges::Init). The raw input is also fed to the image and
// change-set parsers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_image.h"
#include "wasm/wasi/fs_tree.h"

using palisade::wasm::Vec;
namespace wasi = palisade::wasm::wasi;

namespace {

// Roots "/rw" (writable) and "/ro"; /rw holds file "a" ("hello") and dir "s".
std::vector<uint8_t> SeedImage() {
  struct E {
    uint32_t parent;
    wasi::FsType type;
    const char* name;
    const char* data;
    uint32_t flags;
  };
  const E entries[] = {{wasi::kNoParent, wasi::FsType::kDirectory, "/rw", "", wasi::kFsWritable},
                       {wasi::kNoParent, wasi::FsType::kDirectory, "/ro", "", 0},
                       {0, wasi::FsType::kFile, "a", "hello", 0},
                       {0, wasi::FsType::kDirectory, "s", "", 0},
                       {1, wasi::FsType::kFile, "r", "read only", 0}};
  std::string names, data;
  std::vector<wasi::FsEntry> records;
  for (const E& e : entries) {
    wasi::FsEntry r{};
    r.parent = e.parent;
    r.type = e.type;
    r.name_offset = static_cast<uint32_t>(names.size());
    r.name_len = static_cast<uint32_t>(std::strlen(e.name));
    r.data_offset = data.size();
    r.size = std::strlen(e.data);
    r.flags = e.flags;
    names += e.name;
    data += e.data;
    records.push_back(r);
  }
  wasi::FsImageHeader h{};
  h.magic = wasi::kFsImageMagic;
  h.entry_count = static_cast<uint32_t>(records.size());
  h.root_count = 2;
  h.names_offset = sizeof h + records.size() * sizeof(wasi::FsEntry);
  h.names_size = names.size();
  h.data_offset = h.names_offset + names.size();
  h.data_size = data.size();
  h.max_tree_bytes = 4096;
  h.max_tree_entries = 24;
  std::vector<uint8_t> out(h.data_offset + h.data_size);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, records.data(), records.size() * sizeof(wasi::FsEntry));
  std::memcpy(out.data() + h.names_offset, names.data(), names.size());
  std::memcpy(out.data() + h.data_offset, data.data(), data.size());
  return out;
}

class Input {
 public:
  Input(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t Byte() { return i_ < n_ ? p_[i_++] : 0; }
  // A name or path: a length byte, then that many input bytes (up to 300,
  // past the tree's limits).
  std::string Text() {
    size_t len = Byte();
    if (len > 250) len = 300;
    std::string s;
    for (size_t k = 0; k < len; ++k) s.push_back(static_cast<char>(k < n_ - i_ ? p_[i_ + k] : 'x'));
    i_ += len < n_ - i_ ? len : n_ - i_;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::vector<uint8_t> copy(data, data + size);  // aligned, as the parsers require
    wasi::FsImage image;
    (void)image.Init(copy.data(), copy.size());
    wasi::FsChanges changes;
    (void)changes.Init(copy.data(), copy.size());
  }
  static const std::vector<uint8_t> seed = SeedImage();
  wasi::FsImage image;
  if (!image.Init(seed.data(), seed.size())) __builtin_trap();
  wasi::FsTree tree;
  if (!tree.Init(&image)) __builtin_trap();
  Input in(data, size);
  std::vector<uint32_t> opened;  // nodes held open, as fds would
  uint64_t now = 1;
  while (!in.empty()) {
    const uint8_t op = in.Byte();
    const uint32_t dir_choice = in.Byte() % 2;  // resolve beneath /rw or /ro
    const std::string path = in.Text();
    uint32_t node = 0, parent = 0, len = 0;
    const char* name = nullptr;
    bool slash = false;
    const auto plen = static_cast<uint32_t>(path.size());
    switch (op % 9) {
      case 0:
      case 1:
        if (tree.ResolveParent(dir_choice, path.data(), plen, &parent, &name, &len, &slash) == wasi::kSuccess) {
          (void)tree.Create(parent, name, len, op % 9 == 0 ? wasi::FsType::kFile : wasi::FsType::kDirectory, ++now, &node);
        }
        break;
      case 2:
        if (tree.ResolveParent(dir_choice, path.data(), plen, &parent, &name, &len, &slash) == wasi::kSuccess) {
          (void)tree.Remove(parent, name, len, (op & 0x80) != 0);
        }
        break;
      case 3: {
        const std::string to = in.Text();
        uint32_t to_parent, to_len;
        const char* to_name;
        if (tree.ResolveParent(dir_choice, path.data(), plen, &parent, &name, &len, &slash) == wasi::kSuccess &&
            tree.ResolveParent(in.Byte() % 2, to.data(), static_cast<uint32_t>(to.size()), &to_parent, &to_name,
                               &to_len, &slash) == wasi::kSuccess) {
          (void)tree.Rename(parent, name, len, to_parent, to_name, to_len);
        }
        break;
      }
      case 4:
      case 5:
        if (tree.Resolve(dir_choice, path.data(), plen, &node) == wasi::kSuccess && !tree.IsDir(node) &&
            tree.Writable(node)) {
          const uint64_t offset = in.Byte() * (op % 9 == 4 ? 1u : 97u);
          const std::string bytes = in.Text();
          (void)tree.Write(node, offset, reinterpret_cast<const uint8_t*>(bytes.data()),
                           static_cast<uint32_t>(bytes.size()), ++now);
        }
        break;
      case 6:
        if (tree.Resolve(dir_choice, path.data(), plen, &node) == wasi::kSuccess && !tree.IsDir(node) &&
            tree.Writable(node)) {
          (void)tree.SetSize(node, static_cast<uint64_t>(in.Byte()) * 41, ++now);
        }
        break;
      case 7:
        if (tree.Resolve(dir_choice, path.data(), plen, &node) == wasi::kSuccess && opened.size() < 8) {
          tree.Open(node);
          opened.push_back(node);
        }
        break;
      case 8:
        if (!opened.empty()) {
          tree.Close(opened.back());
          opened.pop_back();
        } else if (tree.Resolve(dir_choice, path.data(), plen, &node) == wasi::kSuccess) {
          uint8_t buf[64];
          uint32_t got;
          (void)tree.Read(node, in.Byte(), buf, sizeof buf, &got);
        }
        break;
    }
    if (tree.bytes_used() > image.max_tree_bytes() || tree.entries_used() > image.max_tree_entries()) {
      __builtin_trap();  // a bound did not hold
    }
  }
  Vec<uint8_t> out;
  if (!wasi::ExportFsChanges(tree, &out)) __builtin_trap();
  wasi::FsChanges changes;
  if (!changes.Init(out.data(), out.size())) __builtin_trap();  // the host would refuse our own output
  for (uint32_t i = 0; i < changes.count(); ++i) {
    if (changes.change(i).root != 0) __builtin_trap();  // only the writable root changes
  }
  for (uint32_t n : opened) tree.Close(n);
  return 0;
}
