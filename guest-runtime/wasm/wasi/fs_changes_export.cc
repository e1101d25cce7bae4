// ExportFsChanges: what changed is found by path. Every image entry of a
// writable root is matched with the node now at the same path and of the
// same type; an entry without one was deleted, and a node without one (or
// holding other contents) was created or modified. A rename is thus a
// deletion at the old path and a creation at the new one, which is what the
// host has to do anyway.
#include "wasm/wasi/fs_changes.h"
#include "wasm/wasi/fs_tree.h"

namespace palisade::wasm::wasi {

namespace {

class Exporter {
 public:
  explicit Exporter(const FsTree& tree) : tree_(tree), image_(*tree.image()) {}

  bool Run(Vec<uint8_t>* out) {
    return MatchImage() && CollectDeletions() && CollectCreations() && Serialize(out);
  }

 private:
  // final_at_[e]: the node at image entry e's path, of e's type, or
  // kNoParent; image_at_[n] the reverse.
  bool MatchImage() {
    const uint32_t count = image_.entry_count();
    if (!final_at_.resize(count) || !root_of_.resize(count) || !image_at_.resize(tree_.slot_count())) return false;
    for (uint32_t n = 0; n < tree_.slot_count(); ++n) image_at_[n] = kNoParent;
    for (uint32_t e = 0; e < count; ++e) {
      const FsEntry& entry = image_.entry(e);
      uint32_t now = e;
      root_of_[e] = e;
      if (entry.parent != kNoParent) {
        root_of_[e] = root_of_[entry.parent];
        const uint32_t p = final_at_[entry.parent];
        now = p != kNoParent ? tree_.Child(p, image_.name(e), entry.name_len) : kNoParent;
        if (now != kNoParent && tree_.node(now).type != entry.type) now = kNoParent;
      }
      final_at_[e] = now;
      if (now != kNoParent) image_at_[now] = e;
    }
    return true;
  }

  // Children before their parents: the reverse of image order.
  bool CollectDeletions() {
    for (uint32_t e = image_.entry_count(); e-- > image_.root_count();) {
      if (!image_.writable(root_of_[e]) || final_at_[e] != kNoParent) continue;
      if (!ImagePath(e) || !Add(&deletions_, root_of_[e], FsChangeKind::kDelete, path_)) return false;
    }
    return true;
  }

  bool ImagePath(uint32_t e) {
    chain_.clear();
    for (uint32_t i = e; image_.entry(i).parent != kNoParent; i = image_.entry(i).parent) {
      if (!chain_.push_back(i)) return false;
    }
    path_.clear();
    for (size_t k = chain_.size(); k-- > 0;) {
      const uint32_t i = chain_[k];
      if ((!path_.empty() && !path_.push_back('/')) || !path_.append(image_.name(i), image_.entry(i).name_len)) {
        return false;
      }
    }
    return true;
  }

  // Preorder over each writable root, without recursion (a deep tree must
  // not exhaust the guest's stack).
  bool CollectCreations() {
    struct Frame {
      uint32_t node;
      uint32_t next;      // the next child to visit
      uint32_t path_len;  // path_ before this node's name
    };
    Vec<Frame> stack;
    for (uint32_t r = 0; r < tree_.root_count(); ++r) {
      if (!image_.writable(r)) continue;
      path_.clear();
      if (!stack.push_back(Frame{r, 0, 0})) return false;
      while (!stack.empty()) {
        Frame& f = stack.back();
        uint32_t count;
        const uint32_t* kids = tree_.Children(f.node, &count);
        if (f.next == count) {
          path_.shrink(f.path_len);
          stack.pop_back();
          continue;
        }
        const uint32_t n = kids[f.next++];
        const uint32_t len = static_cast<uint32_t>(path_.size());
        const FsNode& node = tree_.node(n);
        if ((len > 0 && !path_.push_back('/')) ||
            !path_.append(reinterpret_cast<const char*>(node.name.p), node.name.size)) {
          return false;
        }
        const uint32_t e = image_at_[n];
        if (node.type == FsType::kDirectory) {
          if (e == kNoParent && !Add(&directories_, r, FsChangeKind::kMakeDirectory, path_)) return false;
          if (!stack.push_back(Frame{n, 0, len})) return false;
          continue;
        }
        if ((e == kNoParent || node.origin != e || node.dirty) && !AddFile(r, n)) return false;
        path_.shrink(len);
      }
    }
    return true;
  }

  bool Add(Vec<FsChange>* to, uint32_t root, FsChangeKind kind, const Vec<char>& path) {
    FsChange c{};
    c.root = root;
    c.kind = kind;
    c.path_offset = paths_.size();
    c.path_size = path.size();
    return paths_.append(path.data(), path.size()) && to->push_back(c);
  }

  bool AddFile(uint32_t root, uint32_t n) {
    const FsNode& node = tree_.node(n);
    if (!Add(&files_, root, FsChangeKind::kWriteFile, path_)) return false;
    files_.back().data_offset = data_.size();
    files_.back().size = node.size;
    files_.back().mtime_ns = node.mtime_ns == FsTree::kTimePending ? 0 : node.mtime_ns;
    return node.size == 0 || data_.append(tree_.Contents(n), node.size);
  }

  bool Serialize(Vec<uint8_t>* out) {
    const uint64_t records = deletions_.size() + directories_.size() + files_.size();
    FsChangesHeader h{};
    h.magic = kFsChangesMagic;
    h.record_count = static_cast<uint32_t>(records);
    h.paths_offset = sizeof h + records * sizeof(FsChange);
    h.paths_size = paths_.size();
    h.data_offset = h.paths_offset + paths_.size();
    h.data_size = data_.size();
    out->clear();
    auto bytes = [](const auto& v) { return reinterpret_cast<const uint8_t*>(v.data()); };
    return records <= UINT32_MAX && out->reserve(h.data_offset + h.data_size) &&
           out->append(reinterpret_cast<const uint8_t*>(&h), sizeof h) &&
           out->append(bytes(deletions_), deletions_.size() * sizeof(FsChange)) &&
           out->append(bytes(directories_), directories_.size() * sizeof(FsChange)) &&
           out->append(bytes(files_), files_.size() * sizeof(FsChange)) &&
           out->append(bytes(paths_), paths_.size()) && out->append(data_.data(), data_.size());
  }

  const FsTree& tree_;
  const FsImage& image_;
  Vec<uint32_t> final_at_;
  Vec<uint32_t> root_of_;
  Vec<uint32_t> image_at_;
  Vec<uint32_t> chain_;
  Vec<char> path_;
  Vec<FsChange> deletions_;
  Vec<FsChange> directories_;
  Vec<FsChange> files_;
  Vec<char> paths_;
  Vec<uint8_t> data_;
};

}  // namespace

bool ExportFsChanges(const FsTree& tree, Vec<uint8_t>* out) {
  if (tree.image() == nullptr) {
    out->clear();
    return true;
  }
  return Exporter(tree).Run(out);
}

}  // namespace palisade::wasm::wasi
