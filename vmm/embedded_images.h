// The guest images compiled into the host binaries (see
// cmake/PalisadeEmbed.cmake): one `palisade` file is all a user needs.
#pragma once

#include <cstdint>
#include <span>

namespace palisade {

// The production guest (guest-runtime/main.cc). Link palisade_guest_image.
std::span<const uint8_t> ProductionGuestImage();
// The test guest (guest-runtime/test-guest). Link palisade_test_guest_image.
std::span<const uint8_t> TestGuestImage();

}  // namespace palisade
