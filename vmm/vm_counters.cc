#include "vmm/vm_counters.h"

namespace palisade {

VmCounters& ProcessVmCounters() {
  static VmCounters counters;
  return counters;
}

}  // namespace palisade
