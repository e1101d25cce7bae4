#include "cli/fs_image_builder.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::cli {

namespace fs = std::filesystem;
using wasm::wasi::FsEntry;
using wasm::wasi::FsType;

namespace {

class Builder {
 public:
  explicit Builder(const FsImageLimits& limits) : limits_(limits) {}

  absl::Status AddRoot(const Preopen& p) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(p.host, ec)) || ec) {
      return absl::InvalidArgumentError(absl::StrCat("--dir ", p.host, ": not a directory"));
    }
    return Add(wasm::wasi::kNoParent, p.guest, FsType::kDirectory, 0, 0).status();
  }

  // Adds the contents of root `index`'s host directory, depth first (a
  // child always follows its parent).
  absl::Status AddTree(uint32_t dir, const fs::path& host) {
    std::error_code ec;
    std::vector<fs::directory_entry> children;
    for (fs::directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec)) {
      children.push_back(*it);
    }
    if (ec) return absl::InvalidArgumentError(absl::StrCat("--dir: cannot list ", host.string(), ": ", ec.message()));
    std::sort(children.begin(), children.end(),
              [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
    for (const fs::directory_entry& child : children) {
      fs::file_status st = child.symlink_status(ec);
      if (ec) continue;
      const std::string name = child.path().filename().string();
      uint64_t mtime = MtimeNs(child.path());
      if (fs::is_directory(st)) {
        auto index = Add(dir, name, FsType::kDirectory, 0, mtime);
        if (!index.ok()) return index.status();
        if (absl::Status s = AddTree(*index, child.path()); !s.ok()) return s;
      } else if (fs::is_regular_file(st)) {
        std::ifstream in(child.path(), std::ios::binary);
        if (!in) return absl::InvalidArgumentError(absl::StrCat("--dir: cannot read ", child.path().string()));
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto index = Add(dir, name, FsType::kFile, bytes.size(), mtime);
        if (!index.ok()) return index.status();
        entries_[*index].data_offset = data_.size();
        data_.append(bytes);
      }
    }
    return absl::OkStatus();
  }

  std::vector<uint8_t> Finish(uint32_t roots) const {
    wasm::wasi::FsImageHeader h{};
    h.magic = wasm::wasi::kFsImageMagic;
    h.entry_count = static_cast<uint32_t>(entries_.size());
    h.root_count = roots;
    h.names_offset = sizeof(h) + entries_.size() * sizeof(FsEntry);
    h.names_size = names_.size();
    h.data_offset = h.names_offset + names_.size();
    h.data_size = data_.size();
    std::vector<uint8_t> out(sizeof(h) + entries_.size() * sizeof(FsEntry));
    std::memcpy(out.data(), &h, sizeof(h));
    if (!entries_.empty()) std::memcpy(out.data() + sizeof(h), entries_.data(), entries_.size() * sizeof(FsEntry));
    out.insert(out.end(), names_.begin(), names_.end());
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
  }

 private:
  absl::StatusOr<uint32_t> Add(uint32_t parent, const std::string& name, FsType type, uint64_t size,
                               uint64_t mtime) {
    if (entries_.size() >= limits_.max_entries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("--dir: more than ", limits_.max_entries, " files and directories"));
    }
    if (names_.size() + name.size() + data_.size() + size > limits_.max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("--dir: contents exceed ", limits_.max_bytes >> 20, " MiB"));
    }
    FsEntry e{};
    e.parent = parent;
    e.type = type;
    e.name_offset = static_cast<uint32_t>(names_.size());
    e.name_len = static_cast<uint32_t>(name.size());
    e.size = size;
    e.mtime_ns = mtime;
    names_.append(name);
    entries_.push_back(e);
    return static_cast<uint32_t>(entries_.size() - 1);
  }

  static uint64_t MtimeNs(const fs::path& p) {
    std::error_code ec;
    auto t = fs::last_write_time(p, ec);
    if (ec) return 0;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::file_clock::to_sys(t).time_since_epoch());
    return ns.count() > 0 ? static_cast<uint64_t>(ns.count()) : 0;
  }

  FsImageLimits limits_;
  std::vector<FsEntry> entries_;
  std::string names_;
  std::string data_;
};

}  // namespace

absl::StatusOr<Preopen> ParsePreopen(const std::string& spec) {
  Preopen p;
  size_t sep = spec.find("::");
  p.host = sep == std::string::npos ? spec : spec.substr(0, sep);
  p.guest = sep == std::string::npos ? spec : spec.substr(sep + 2);
  if (p.host.empty() || p.guest.empty() || p.guest.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad --dir '", spec, "' (use HOST::GUEST)"));
  }
  return p;
}

absl::StatusOr<std::vector<uint8_t>> BuildFsImage(const std::vector<Preopen>& preopens,
                                                  const FsImageLimits& limits) {
  Builder b(limits);
  // Roots first (they are fds 3, 4, ... in order), then each tree.
  for (const Preopen& p : preopens) {
    if (absl::Status s = b.AddRoot(p); !s.ok()) return s;
  }
  for (uint32_t i = 0; i < preopens.size(); ++i) {
    if (absl::Status s = b.AddTree(i, preopens[i].host); !s.ok()) return s;
  }
  return b.Finish(static_cast<uint32_t>(preopens.size()));
}

}  // namespace palisade::cli
