// The guest IDT: every CPU exception vector (0-31) goes to an entry stub in
// isr.S on the IST1 stack, so even a stack overflow into the guard page is
// reported instead of escalating to a triple fault.
#pragma once

namespace palisade::guest {
void InstallIdt();
}
