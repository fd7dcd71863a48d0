# The Python module (docs/python.md): `import folio` in CPython, built as
# the extension folio._folio into build/python/folio/ beside the package's
# .py files, so PYTHONPATH=build/python imports it from the build tree.
# FOLIO_PYTHON is ON when Python 3's development files are found (Debian:
# python3-dev). Debian's /usr/bin/python3 is preferred to whatever python3
# comes first on PATH: Debian's numpy and pandas load only in it.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 COMPONENTS Interpreter Development.Module QUIET)
set(FOLIO_PYTHON_DEFAULT OFF)
if(Python3_Development.Module_FOUND)
  set(FOLIO_PYTHON_DEFAULT ON)
endif()
option(FOLIO_PYTHON "Build the Python module (folio._folio; needs python3-dev)" ${FOLIO_PYTHON_DEFAULT})

if(FOLIO_PYTHON)
  if(NOT Python3_Development.Module_FOUND)
    message(FATAL_ERROR "FOLIO_PYTHON needs Python 3's development files (apt-get install python3-dev)")
  endif()
  set(FOLIO_PYTHON_DIR ${CMAKE_BINARY_DIR}/python/folio)
  # The extension: its own source, the host's state setup and script
  # context (src/cli/host.c, run.c; run.c refers to deploy.c), the Lua
  # bindings and the core. Lua is the shared liblua5.4 (one VM per state,
  # no interpreter around it to clash with).
  add_library(folio_python MODULE
    python/src/folio_python.c
    src/cli/host.c src/cli/run.c src/cli/deploy.c
    $<TARGET_OBJECTS:folio_lua_obj> $<TARGET_OBJECTS:folio_core_obj>)
  target_include_directories(folio_python PRIVATE src/cli src/lua include ${CMAKE_BINARY_DIR}/include
    ${LUA_INCLUDE_DIRS})
  target_link_libraries(folio_python PRIVATE Python3::Module ${LUA_LINK_LIBRARIES}
    ${FOLIO_CORE_DEPS} ${FOLIO_LUA_DEPS})
  # Only PyInit__folio is exported: the host's and folio's symbols stay
  # inside, whatever else the interpreter has loaded. (No --no-undefined:
  # the interpreter provides the Python API, as for every extension.)
  target_link_options(folio_python PRIVATE
    -Wl,--version-script=${CMAKE_SOURCE_DIR}/python/folio_python.map)
  set_target_properties(folio_python PROPERTIES
    PREFIX "" OUTPUT_NAME "_folio" SUFFIX ".${Python3_SOABI}.so"
    POSITION_INDEPENDENT_CODE ON
    LIBRARY_OUTPUT_DIRECTORY ${FOLIO_PYTHON_DIR}
    LINK_DEPENDS ${CMAKE_SOURCE_DIR}/python/folio_python.map)
  # The package's Python and Lua files, copied beside the extension.
  file(GLOB FOLIO_PYTHON_FILES CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/python/folio/*.py ${CMAKE_SOURCE_DIR}/python/folio/*.lua)
  set(FOLIO_PYTHON_COPIES "")
  foreach(f ${FOLIO_PYTHON_FILES})
    get_filename_component(name ${f} NAME)
    add_custom_command(OUTPUT ${FOLIO_PYTHON_DIR}/${name}
      COMMAND ${CMAKE_COMMAND} -E copy_if_different ${f} ${FOLIO_PYTHON_DIR}/${name}
      DEPENDS ${f} VERBATIM)
    list(APPEND FOLIO_PYTHON_COPIES ${FOLIO_PYTHON_DIR}/${name})
  endforeach()
  add_custom_target(folio_python_files ALL DEPENDS ${FOLIO_PYTHON_COPIES})
  add_dependencies(folio_python folio_python_files)
  # The COIN-OR plugin (cmake/coin_plugin.cmake) beside the extension,
  # where the extension's loader looks first.
  add_dependencies(folio_python folio_coin)
  add_custom_command(TARGET folio_python POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different $<TARGET_FILE:folio_coin> ${FOLIO_PYTHON_DIR}/
    VERBATIM)

  # cmake --install (component python too): into the interpreter's
  # platform site directory under the prefix (Debian's python3 reads
  # /usr/local/lib/python3.X/dist-packages).
  if(Python3_SITEARCH MATCHES "dist-packages")
    set(FOLIO_PYTHON_SITE_DEFAULT "lib/python${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}/dist-packages")
  else()
    set(FOLIO_PYTHON_SITE_DEFAULT "lib/python${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}/site-packages")
  endif()
  set(FOLIO_PYTHON_INSTALL_DIR "${FOLIO_PYTHON_SITE_DEFAULT}" CACHE STRING
      "Where the folio Python package is installed (relative to the prefix)")
  install(TARGETS folio_python LIBRARY DESTINATION ${FOLIO_PYTHON_INSTALL_DIR}/folio COMPONENT python)
  install(FILES ${FOLIO_PYTHON_FILES} DESTINATION ${FOLIO_PYTHON_INSTALL_DIR}/folio COMPONENT python)
  install(FILES $<TARGET_FILE:folio_coin> DESTINATION ${FOLIO_PYTHON_INSTALL_DIR}/folio COMPONENT python)
endif()

# The module's tests (tests/python), by Debian's /usr/bin/python3 (its
# numpy and pandas load only there) with python3-pytest. In the
# sanitizer build the interpreter is not instrumented: the ASan runtime is
# preloaded, and leak checking is off (the interpreter keeps its objects
# at exit by design).
if(FOLIO_PYTHON AND FOLIO_TESTS)
  add_test(NAME python_test_folio
    COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/python
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  # as tests/CMakeLists.txt does for its tests (whose variables are not seen here)
  set(FOLIO_PYTHON_TIMEOUT 300)
  if(FOLIO_SANITIZE)
    set(FOLIO_PYTHON_TIMEOUT 1200)
  endif()
  set(FOLIO_PYTHON_TEST_ENV OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONPATH=${CMAKE_BINARY_DIR}/python
      FOLIO_BIN=$<TARGET_FILE:folio> FOLIO_BUILD_DIR=${CMAKE_BINARY_DIR} PYTHONDONTWRITEBYTECODE=1)
  if(FOLIO_SANITIZE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
      OUTPUT_VARIABLE FOLIO_ASAN_LIB OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND FOLIO_PYTHON_TEST_ENV LD_PRELOAD=${FOLIO_ASAN_LIB} ASAN_OPTIONS=detect_leaks=0)
  endif()
  # the Ctrl-C test times an interrupt: alone, as the other timed tests
  set_tests_properties(python_test_folio PROPERTIES ENVIRONMENT "${FOLIO_PYTHON_TEST_ENV}" RUN_SERIAL TRUE
    TIMEOUT ${FOLIO_PYTHON_TIMEOUT})
endif()
