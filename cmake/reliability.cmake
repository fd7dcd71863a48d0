# The reliability builds (docs/reliability.md): fuzzing and allocation-
# failure injection. Included before any target is defined, since the
# options below change how every folio file is compiled.

# FOLIO_FUZZ: the libFuzzer targets of tests/fuzz (cmake
# -DCMAKE_C_COMPILER=clang-14 -DFOLIO_FUZZ=ON; tests/fuzz/run.sh does it).
# All of folio is compiled with the fuzzer's coverage instrumentation and
# ASan+UBSan, at -O1 with assertions on (use a Debug build type); only the
# fuzz targets link libFuzzer's main.
if(FOLIO_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FOLIO_FUZZ needs clang (libFuzzer): cmake -DCMAKE_C_COMPILER=clang-14 "
                        "(Debian packages clang-14 and libclang-rt-14-dev)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g -O1)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(FOLIO_NO_POOL)   # let ASan see every Lua block
endif()

# FOLIO_ALLOC_FAIL: request k of folio's allocations (malloc & co. in its
# own C files, and the Lua allocator) fails when FOLIO_FAIL_ALLOC_AT=k;
# see tests/alloc/alloc_fail.h. The counters live in a small library that
# every target links.
if(FOLIO_ALLOC_FAIL)
  add_library(folio_alloc_fail STATIC ${CMAKE_SOURCE_DIR}/tests/alloc/alloc_fail.c)
  set_target_properties(folio_alloc_fail PROPERTIES POSITION_INDEPENDENT_CODE ON)
  add_compile_definitions(FOLIO_ALLOC_FAIL)
  add_compile_options(-include ${CMAKE_SOURCE_DIR}/tests/alloc/alloc_fail.h)
  link_libraries(folio_alloc_fail)
endif()

# The COIN-OR plugin (cmake/coin_plugin.cmake) is loaded at run time: in
# the alloc-fail build its counted allocations bind to the program's
# counters, and in the fuzz build its coverage hooks to the program's
# libFuzzer, so executables export their symbols there.
if(FOLIO_ALLOC_FAIL OR FOLIO_FUZZ)
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-rdynamic>)
endif()
