# The COIN-OR backends (Cbc, Clp) as a plugin, folio_coin.so, that the
# core loads with dlopen on their first use (src/backends/coin_loader.c,
# coin_plugin.h): a process that never solves with them never maps Cbc's
# C++ libraries, whose relocation was most of folio's start-up time
# (docs/benchmarks.md, "Start-up").
#
# It is built into the build tree's top directory (beside build/folio and
# libfolio.so; the Lua module in build/lua looks one level up) and
# installed into LIBDIR/folio. The loader looks beside the object that
# holds it, then at the install layout relative to it, then in the
# configured install directory and the build tree; FOLIO_BACKEND_DIR
# overrides all of that.
set(FOLIO_COIN_LIBS ${CBC_SOLVER_LIB} ${CBC_LIB} ${CLP_LIB} m)
add_library(folio_coin MODULE
  src/backends/cbc_model.c
  src/backends/cbc_solve.c
  src/backends/clp_solve.c
  src/backends/coin_plugin.c)
target_include_directories(folio_coin PRIVATE include ${CMAKE_BINARY_DIR}/include ${GLPK_INCLUDE} ${CBC_INCLUDE})
target_compile_options(folio_coin PRIVATE -fno-semantic-interposition)
set_target_properties(folio_coin PROPERTIES PREFIX "" OUTPUT_NAME folio_coin
  C_VISIBILITY_PRESET hidden
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
  LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/coin_plugin.map)
# Only the entry is exported; the plugin's folio functions forward to the
# loader's table and bind inside it.
target_link_options(folio_coin PRIVATE -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/coin_plugin.map)
if(FOLIO_ALLOC_FAIL)
  # The plugin's counted allocations (folio_af_*) bind to the loading
  # program's counters (executables export them: cmake/reliability.cmake),
  # so that one count covers the process: it does not link its own copy.
  set_property(TARGET folio_coin PROPERTY LINK_LIBRARIES ${FOLIO_COIN_LIBS})
else()
  target_link_libraries(folio_coin PRIVATE ${FOLIO_COIN_LIBS})
  if(NOT FOLIO_FUZZ)
    target_link_options(folio_coin PRIVATE -Wl,--no-undefined)
  endif()
endif()

# Where the loader looks relative to the object that holds it: beside it
# (build tree; the Python package), LIBDIR/folio from libfolio in LIBDIR,
# from bin/folio and from the Lua module's directory, and one level up
# (build/lua/folio.so).
set(FOLIO_COIN_INSTALL_REL "${CMAKE_INSTALL_LIBDIR}/folio")
file(RELATIVE_PATH FOLIO_COIN_FROM_BIN "/${CMAKE_INSTALL_BINDIR}" "/${FOLIO_COIN_INSTALL_REL}")
file(RELATIVE_PATH FOLIO_COIN_FROM_LUA "/${FOLIO_LUA_CMOD_DIR}" "/${FOLIO_COIN_INSTALL_REL}")
set_source_files_properties(src/backends/coin_loader.c PROPERTIES COMPILE_DEFINITIONS
  "FOLIO_COIN_RELATIVE_DIRS=\".\",\"folio\",\"${FOLIO_COIN_FROM_BIN}\",\"${FOLIO_COIN_FROM_LUA}\",\"..\";FOLIO_COIN_INSTALL_DIR=\"${CMAKE_INSTALL_FULL_LIBDIR}/folio\";FOLIO_COIN_BUILD_DIR=\"${CMAKE_BINARY_DIR}\"")
install(TARGETS folio_coin LIBRARY DESTINATION ${FOLIO_COIN_INSTALL_REL})
# anything that links the core can load the plugin once it is built
add_dependencies(folio_core_obj folio_coin)
