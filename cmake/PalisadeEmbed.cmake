# palisade_embed_guest(<library> <guest-executable-target> <function> [AUDITED])
#
# Makes a static library whose only content is the guest ELF, pulled in with
# .incbin, and a C++ function `std::span<const uint8_t> <function>()` in
# namespace palisade that returns it. This keeps one `palisade` binary all a
# user needs. AUDITED: the build runs the image audit (vmm/image_audit.h) on
# the ELF and fails on a violation; the library then tells the VMM, at start
# up, that these exact bytes need no audit at run time.
function(palisade_embed_guest library guest_target function)
  cmake_parse_arguments(EMBED "AUDITED" "" "" ${ARGN})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/embed_${library})
  # A plain path, not $<TARGET_FILE>, because OBJECT_DEPENDS takes no
  # generator expressions on CMake 3.25.
  get_target_property(elf_dir ${guest_target} RUNTIME_OUTPUT_DIRECTORY)
  set(elf ${elf_dir}/${guest_target}.elf)
  file(GENERATE OUTPUT ${dir}/image.S CONTENT
"    .section .rodata.${function}, \"a\"
    .balign 64
    .global ${function}_start
${function}_start:
    .incbin \"${elf}\"
    .global ${function}_end
${function}_end:
    .section .note.GNU-stack, \"\", @progbits
")
  set(register "")
  if(EMBED_AUDITED)
    set(register "void MarkAuditedAtBuild(std::span<const std::uint8_t> image);
namespace {
const bool kAudited = (MarkAuditedAtBuild(${function}()), true);
}  // namespace
")
  endif()
  file(GENERATE OUTPUT ${dir}/image.cc CONTENT
"#include <cstdint>
#include <span>
extern \"C\" const std::uint8_t ${function}_start[];
extern \"C\" const std::uint8_t ${function}_end[];
namespace palisade {
std::span<const std::uint8_t> ${function}() {
  return {${function}_start, static_cast<std::size_t>(${function}_end - ${function}_start)};
}
${register}}  // namespace palisade
")
  add_library(${library} STATIC ${dir}/image.S ${dir}/image.cc)
  set_source_files_properties(${dir}/image.S PROPERTIES OBJECT_DEPENDS "${elf}")
  add_dependencies(${library} ${guest_target})
  if(EMBED_AUDITED)
    add_custom_command(OUTPUT ${dir}/audited.stamp
      COMMAND palisade_audit_image ${elf}
      COMMAND ${CMAKE_COMMAND} -E touch ${dir}/audited.stamp
      DEPENDS ${elf} palisade_audit_image
      COMMENT "Auditing ${guest_target}.elf (privileged instructions, ring-0 code)")
    add_custom_target(${library}_audit DEPENDS ${dir}/audited.stamp)
    add_dependencies(${library} ${library}_audit)
    target_link_libraries(${library} PUBLIC palisade_vmm)
  endif()
endfunction()
