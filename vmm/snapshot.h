// A frozen sandbox: guest memory (a sealed memfd) and vCPU state, taken while
// the guest waited for a command. Any number of sandboxes start from one
// snapshot (Sandbox::FromSnapshot); each maps the memory copy-on-write, so
// pages none of them wrote exist once on the host, and Sandbox::Reset()
// returns one to the snapshot by dropping only the pages it dirtied.
//
// Immutable and shared (std::shared_ptr<const Snapshot>): the sandboxes made
// from it keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/unique_fd.h"
#include "vmm/code_region.h"
#include "vmm/elf_image.h"
#include "vmm/guest_layout.h"
#include "vmm/guest_memory.h"
#include "vmm/vcpu.h"

namespace palisade {

struct Snapshot {
  UniqueFd memfd;  // sealed: F_SEAL_WRITE | SHRINK | GROW | SEAL
  GuestLayout layout;
  std::vector<GuestMemory::Region> regions;
  std::shared_ptr<const ElfImage> image;
  VcpuState vcpu;
  CodeRegion code_region;  // which code the snapshot's memory holds
};

}  // namespace palisade
