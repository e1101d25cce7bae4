#include "cli/trap_line.h"

#include <cstdio>
#include <iostream>

#include "cli/run_command.h"

namespace palisade::cli {

int ReportTrapLine(std::string_view reason, uint32_t function_index, std::string_view function_name,
                   uint32_t offset) {
  char off[32];
  std::snprintf(off, sizeof off, "0x%x", offset);
  std::cerr << "palisade: trap: " << reason << " in function " << function_index;
  if (!function_name.empty()) std::cerr << " (" << function_name << ")";
  std::cerr << " at offset " << off << "\n";
  return kExitTrap;
}

}  // namespace palisade::cli
