# grt - the two commands a newcomer needs:
#   make demo    build everything and run the showcase
#   make test    build and run the whole test suite (normal, randomised
#                small-runq, ASan+UBSan, TSan) and check the installed package
# Others: make build, make bench, make install PREFIX=/usr/local, make clean.

JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CTEST  := ctest --output-on-failure -j$(JOBS)

.PHONY: deps-test
.PHONY: all deps build demo test test-normal test-small test-asan test-tsan test-install \
        bench install clean

all: build

deps:
	@scripts/deps.sh build

# The servers and client libraries of libgrt_hook's tests (redis, PostgreSQL,
# hiredis, libpq, libcurl).
deps-test: deps
	@scripts/deps.sh test

build/CMakeCache.txt: | deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: build/CMakeCache.txt
	cmake --build build -j$(JOBS)

demo: build
	./build/examples/demo

# Each pass is its own build directory; each test program runs in its own
# process under CTest with a timeout.
test: test-normal test-small test-asan test-tsan test-install
	@echo "grt: all test passes succeeded"

test-normal: build deps-test
	cd build && $(CTEST)

test-small: deps deps-test
	cmake -S . -B build-small -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SMALL_RUNQ=ON \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-small -j$(JOBS)
	cd build-small && $(CTEST)

test-asan: deps deps-test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=address \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST)

test-tsan: deps deps-test
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRT_SANITIZE=thread \
	      -DGRT_BUILD_BENCH=OFF -DGRT_BUILD_EXAMPLES=OFF
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST)

test-install: build
	scripts/check-install.sh build

bench:
	bench/run.sh

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-small build-asan build-tsan build-bench
