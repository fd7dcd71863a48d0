# The reliability builds (docs/reliability.md). Included before any target
# is defined, since the options below change how every folio file is
# compiled.

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
