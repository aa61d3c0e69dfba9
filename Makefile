# SPDX-License-Identifier: BSD-3-Clause
# grt - the two commands a newcomer needs:
#   make demo    build everything and run the showcase
#   make test    build and run the whole test suite (normal with gcc and
#                with clang, randomised small-runq, ASan+UBSan, TSan,
#                -ffunction-sections + LTO), every pass with -Werror, and
#                check the installed package and the use as a subproject
# Others: make build, make bench, make install PREFIX=/usr/local, make clean.
#
# Only demo, test and bench install missing Debian packages (through
# scripts/deps.sh, which names them first): `make build` never does.
#   deps       cmake gcc make pkg-config python3, gcc's sanitizer runtimes
#   deps-test  the same and clang-14 (the clang pass)
#   fuzz       (scripts/deps.sh fuzz, for make fuzz/test-fuzz) clang-14,
#              libclang-rt-14-dev (libFuzzer), llvm-14 (llvm-symbolizer)
#   bench      bench/run.sh installs what it needs itself (golang-go, wrk, ...)

JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CTEST  := ctest --output-on-failure -j$(JOBS)

.PHONY: all deps deps-test build demo test test-normal test-clang test-small test-asan \
        test-tsan test-install test-sections test-subproject bench install clean \
        fuzz fuzz-build test-fuzz soak test-soak

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

build/CMakeCache.txt:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: build/CMakeCache.txt
	cmake --build build -j$(JOBS)

demo: deps
	$(MAKE) build
	./build/examples/demo

# Each pass is its own build directory; each test program runs in its own
# process under CTest with a timeout.
test: test-normal test-clang test-small test-asan test-tsan test-install test-sections \
      test-subproject \
      test-fuzz test-soak
	@echo "grt: all test passes succeeded"

test-normal: deps-test
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_WERROR=ON
	cmake --build build -j$(JOBS)
	cd build && $(CTEST)

# The same suite built by clang (Debian's clang-14).
test-clang: deps-test
	cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_WERROR=ON \
	      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_ASM_COMPILER=clang-14 \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-clang -j$(JOBS)
	cd build-clang && $(CTEST)

test-small: deps-test
	cmake -S . -B build-small -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SMALL_RUNQ=ON -DGRT_WERROR=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-small -j$(JOBS)
	cd build-small && $(CTEST)

test-asan: deps-test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=address -DGRT_WERROR=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST)

test-tsan: deps-test
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=thread -DGRT_WERROR=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST)

test-install: test-normal
	scripts/check-install.sh build

# grt inside another CMake project builds the library only.
test-subproject: deps-test
	scripts/check-subproject.sh

# Preemption must not depend on how grt is compiled: with every function in
# a section of its own and link-time optimisation, the runtime's code must
# still be all in grt_text (test_grt_text) and the preemption tests pass.
test-sections: deps-test
	cmake -S . -B build-sections -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_WERROR=ON \
	      -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections -flto=auto" \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-sections -j$(JOBS)
	cd build-sections && $(CTEST) -R 'grt_text|preempt'

bench:
	bench/run.sh

install: build
	cmake --install build --prefix $(PREFIX)

# libFuzzer target (tests/fuzz/fuzz_api.c): clang, ASan+UBSan, coverage in
# the runtime too.  `make fuzz` explores for FUZZ_SECONDS, keeping new
# inputs in build-fuzz/corpus; `make test` runs it for 60 s from the seed
# corpus.  A crash, leak or timeout fails the target and names the
# reproducer (run it again with: build-fuzz/tests/fuzz/fuzz_api FILE).
FUZZ_SECONDS ?= 600
build-fuzz/CMakeCache.txt:
	scripts/deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=address -DGRT_FUZZ=ON \
	      -DGRT_WERROR=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_ASM_COMPILER=clang-14 \
	      -DGRT_BUILD_TESTS=OFF -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
fuzz-build: build-fuzz/CMakeCache.txt
	cmake --build build-fuzz -j$(JOBS) --target fuzz_api
fuzz: fuzz-build
	mkdir -p build-fuzz/corpus
	scripts/run-fuzz.sh $(FUZZ_SECONDS) build-fuzz/corpus tests/fuzz/corpus
test-fuzz: fuzz-build
	rm -rf build-fuzz/test-corpus && mkdir -p build-fuzz/test-corpus
	scripts/run-fuzz.sh 60 build-fuzz/test-corpus tests/fuzz/corpus

# The soak (tests/soak/soak.c): `make soak` runs it for SOAK_SECONDS in the
# normal build; `make test` runs 60 s of it under TSan.
SOAK_SECONDS ?= 600
soak: build
	./build/tests/soak/soak $(SOAK_SECONDS)
test-soak: deps-test
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=thread -DGRT_WERROR=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-tsan -j$(JOBS) --target soak
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/soak/soak 60

clean:
	rm -rf build build-clang build-small build-asan build-tsan build-sections build-bench build-fuzz
