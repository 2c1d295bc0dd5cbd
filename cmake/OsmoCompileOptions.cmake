# SPDX-License-Identifier: Apache-2.0
# Compile options shared by every osmo target: warnings, optimisation, sanitizers.

add_library(osmo_compile_options INTERFACE)
target_compile_options(osmo_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unknown-pragmas)
if(OSMO_NATIVE_ARCH)
  target_compile_options(osmo_compile_options INTERFACE -march=native)
endif()
# Floating-point results must not depend on how the compiler fuses operations across builds of the
# same machine; contraction into FMA is allowed (it is deterministic for one binary).
if(OSMO_SANITIZE)
  target_compile_options(osmo_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(osmo_compile_options INTERFACE -fsanitize=address,undefined)
endif()

# osmo_add_library(NAME folder-name SOURCES ...): one library target per folder, aliased osmo::NAME.
function(osmo_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(osmo_${name} ${ARG_SOURCES})
  add_library(osmo::${name} ALIAS osmo_${name})
  target_include_directories(osmo_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(osmo_${name} PRIVATE osmo_compile_options)
endfunction()
