# grt - the two commands a newcomer needs:
#   make demo    build everything and run the showcase
#   make test    build and run the whole test suite (normal, randomised
#                small-runq, ASan+UBSan, TSan) and check the installed package
# Others: make build, make bench, make install PREFIX=/usr/local, make clean.

JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CTEST  := ctest --output-on-failure -j$(JOBS)

.PHONY: all deps build demo test test-normal test-small test-asan test-tsan test-install \
        test-sections bench install clean

all: build

deps:
	@scripts/deps.sh build

build/CMakeCache.txt: | deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: build/CMakeCache.txt
	cmake --build build -j$(JOBS)

demo: build
	./build/examples/demo

# Each pass is its own build directory; each test program runs in its own
# process under CTest with a timeout.
test: test-normal test-small test-asan test-tsan test-install test-sections
	@echo "grt: all test passes succeeded"

test-normal: build
	cd build && $(CTEST)

test-small: deps
	cmake -S . -B build-small -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SMALL_RUNQ=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-small -j$(JOBS)
	cd build-small && $(CTEST)

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=address \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST)

test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=thread \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST)

test-install: build
	scripts/check-install.sh build

# Preemption must not depend on how grt is compiled: with every function in
# a section of its own and link-time optimisation, the runtime's code must
# still be all in grt_text (test_grt_text) and the preemption tests pass.
test-sections: deps
	cmake -S . -B build-sections -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections -flto=auto" \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-sections -j$(JOBS)
	cd build-sections && $(CTEST) -R 'grt_text|preempt'

bench:
	bench/run.sh

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-small build-asan build-tsan build-sections build-bench
