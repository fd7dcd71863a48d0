# Thin wrapper over CMake: `make demo` and `make test` are all a new user needs.
BUILD ?= build
SANITIZE ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
  BUILD := build-sanitize
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DFOLIO_SANITIZE=ON
else
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Release
endif

.PHONY: all deps configure build demo test bench clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/folio run models/loan_book.lua

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@BUILD=$(BUILD) bash bench/fac/run.sh

clean:
	rm -rf build build-sanitize
