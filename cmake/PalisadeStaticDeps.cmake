# Links Debian's static archives of our dependencies instead of their shared
# libraries. Every `palisade run` starts a process, and on the machines we
# measure, loading and relocating some sixty shared libraries was most of a
# 13 ms start-up (against 5 ms with the archives): time a serverless or
# fuzzing user pays on every call. The Debian -dev packages ship both forms;
# nothing is downloaded.
#
# palisade_prefer_static_archives() swaps, on the imported targets of the
# calling directory, each shared library named in kPalisadeStaticNames for the
# archive beside it: in IMPORTED_LOCATION* and in INTERFACE_LINK_LIBRARIES
# (paths, bare names and -l flags).
# glibc (libc, libm, libdl, librt, libpthread) and the C++ runtime stay
# shared here; palisade_static_cxx_runtime() links the C++ runtime into one
# executable that links no other C++ shared library.

set(kPalisadeStaticNames
    "^(absl_.*|grpc\\+\\+|grpc\\+\\+_reflection|grpc|gpr|upb|address_sorting|re2|cares|z|ssl|crypto|protobuf|capstone|seccomp)$")

# The archive for a shared library `item` (a path or a bare name), or "".
function(_palisade_archive_for item out)
  set(${out} "" PARENT_SCOPE)
  if(item MATCHES "^(.*/)?lib([^/]+)\\.so(\\.[0-9]+)*$")
    set(dir "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
  elseif(item MATCHES "^(-l)?([A-Za-z0-9_+]+)$")
    set(dir "")
    set(name "${CMAKE_MATCH_2}")
  else()
    return()
  endif()
  if(NOT name MATCHES "${kPalisadeStaticNames}")
    return()
  endif()
  if(dir AND EXISTS "${dir}lib${name}.a")
    set(${out} "${dir}lib${name}.a" PARENT_SCOPE)
    return()
  endif()
  find_library(_palisade_archive_${name} NAMES "lib${name}.a" NO_CACHE)
  if(_palisade_archive_${name})
    set(${out} "${_palisade_archive_${name}}" PARENT_SCOPE)
  endif()
endfunction()

function(palisade_prefer_static_archives)
  get_property(targets DIRECTORY PROPERTY IMPORTED_TARGETS)
  set(swapped 0)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      continue()
    endif()
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
      set(properties IMPORTED_LOCATION)
      if(configs)
        foreach(config IN LISTS configs)
          string(TOUPPER "${config}" config)
          list(APPEND properties IMPORTED_LOCATION_${config})
        endforeach()
      endif()
      foreach(property IN LISTS properties)
        get_target_property(location ${target} ${property})
        if(location)
          _palisade_archive_for("${location}" archive)
          if(archive)
            set_target_properties(${target} PROPERTIES ${property} "${archive}")
            math(EXPR swapped "${swapped} + 1")
          endif()
        endif()
      endforeach()
    endif()
    get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
    if(links)
      set(new_links "")
      foreach(item IN LISTS links)
        _palisade_archive_for("${item}" archive)
        if(archive)
          list(APPEND new_links "${archive}")
          math(EXPR swapped "${swapped} + 1")
        else()
          list(APPEND new_links "${item}")
        endif()
      endforeach()
      set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${new_links}")
    endif()
  endforeach()
  message(STATUS "Static archives: ${swapped} shared libraries swapped for Debian's archives")
endfunction()

# libstdc++ and libgcc inside `target`: only for an executable that links no
# C++ shared library (two C++ runtimes in one process is undefined), and not
# under the sanitizers, whose runtime replaces operator new.
function(palisade_static_cxx_runtime target)
  if(PALISADE_STATIC_DEPS AND NOT PALISADE_SANITIZE AND NOT PALISADE_FUZZ)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
