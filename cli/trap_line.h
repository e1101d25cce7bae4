// The one line a trapped program gets on stderr, the same for local and
// remote runs: "palisade: trap: <reason> in function <index> (<name>) at
// offset 0x...". Returns kExitTrap.
#pragma once

#include <cstdint>
#include <string_view>

namespace palisade::cli {

int ReportTrapLine(std::string_view reason, uint32_t function_index, std::string_view function_name,
                   uint32_t offset);

}  // namespace palisade::cli
