# SPDX-License-Identifier: Apache-2.0
# Compile options shared by every osmo target: warnings, optimisation, sanitizers.

add_library(osmo_compile_options INTERFACE)
target_compile_options(osmo_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unknown-pragmas)
if(OSMO_NATIVE_ARCH)
  target_compile_options(osmo_compile_options INTERFACE -march=native)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # Hot kernels in baseline, x86-64-v3 and x86-64-v4 clones chosen at run time
  # (projectors/multiversion.h).
  target_compile_definitions(osmo_compile_options INTERFACE OSMO_MULTIVERSION)
endif()
# Value-preserving math flags that let the kernels vectorise: osmo never reads errno after math
# calls and never relies on floating-point traps (both keep IEEE results bit for bit).
target_compile_options(osmo_compile_options INTERFACE -fno-math-errno -fno-trapping-math)
# Everything is position-independent (the static libraries also go into the Python module); with
# -fPIC GCC assumes any global function may be interposed at load time and stops inlining it
# within its own file. osmo never interposes its functions.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(osmo_compile_options INTERFACE -fno-semantic-interposition)
endif()
if(OSMO_SANITIZE)
  target_compile_options(osmo_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(osmo_compile_options INTERFACE -fsanitize=address,undefined)
endif()
if(OSMO_TSAN)
  # ThreadSanitizer (GCC; ITK 5.2's headers accept no other compiler). Run with LLVM's OpenMP
  # runtime preloaded and its Archer tool, which tell TSan about the runtime's barriers
  # (docs/SANITIZERS.md); GCC's libgomp would show them as races.
  target_compile_options(osmo_compile_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(osmo_compile_options INTERFACE -fsanitize=thread)
endif()

# osmo_add_library(NAME folder-name SOURCES ...): one library target per folder, aliased osmo::NAME.
function(osmo_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(osmo_${name} ${ARG_SOURCES})
  add_library(osmo::${name} ALIAS osmo_${name})
  target_include_directories(osmo_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(osmo_${name} PRIVATE osmo_compile_options)
endfunction()
