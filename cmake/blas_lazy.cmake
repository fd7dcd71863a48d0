# OpenBLAS loaded on first use by the programs that link the static core
# (the folio host, the tests, the benchmarks): src/backends/blas_lazy.c
# defines the CBLAS functions GSL calls and LAPACK's dpotrf_, exports
# them so that GSL binds to them, and loads OpenBLAS with dlopen at the
# first call. The shared libfolio and the Lua and Python modules link
# OpenBLAS directly (FOLIO_CORE_DEPS).
set(FOLIO_OPENBLAS_SONAME "libopenblas.so.0")
execute_process(COMMAND objdump -p ${OPENBLAS_LIB} OUTPUT_VARIABLE FOLIO_OPENBLAS_DUMP
                ERROR_QUIET RESULT_VARIABLE FOLIO_OPENBLAS_DUMP_RC)
if(FOLIO_OPENBLAS_DUMP_RC EQUAL 0 AND FOLIO_OPENBLAS_DUMP MATCHES "SONAME +([^\n ]+)")
  set(FOLIO_OPENBLAS_SONAME "${CMAKE_MATCH_1}")
endif()
add_library(folio_blas_lazy STATIC src/backends/blas_lazy.c)
set_target_properties(folio_blas_lazy PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_definitions(folio_blas_lazy PRIVATE FOLIO_OPENBLAS_SONAME="${FOLIO_OPENBLAS_SONAME}")
# pulled into every program (GSL's calls need it even where folio's own
# code calls no BLAS) and exported to GSL
target_link_options(folio_blas_lazy INTERFACE
  "LINKER:--undefined=cblas_dgemm"
  "LINKER:--export-dynamic-symbol=cblas_d*"
  "LINKER:--export-dynamic-symbol=cblas_idamax"
  "LINKER:--export-dynamic-symbol=cblas_ssymv")
target_link_libraries(folio_blas_lazy INTERFACE ${CMAKE_DL_LIBS})
