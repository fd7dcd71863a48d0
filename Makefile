# Thin wrapper over CMake: `make demo` and `make test` are all a new user needs.
BUILD ?= build
SANITIZE ?= 0
WERROR ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
  BUILD := build-sanitize
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DFOLIO_SANITIZE=ON
else
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Release
endif
ifeq ($(WERROR),1)
  CMAKE_FLAGS += -DFOLIO_WERROR=ON
else
  CMAKE_FLAGS += -DFOLIO_WERROR=OFF
endif

.PHONY: all deps deps-test configure build demo test bench clean

all: build

# `make demo` needs only the build packages; `make test` adds the tools the
# tests compare against (scripts/install-deps.sh lists both).
deps:
	@bash scripts/install-deps.sh build

deps-test:
	@bash scripts/install-deps.sh test

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DFOLIO_TESTS=OFF >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/folio run models/loan_book.lua

test: deps-test
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DFOLIO_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps-test
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@BUILD=$(BUILD) bash bench/fac/run.sh

clean:
	rm -rf build build-sanitize
