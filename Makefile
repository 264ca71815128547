# Convenience entry points; the build itself is meson + ninja.
.PHONY: all build lab test bench clean

all: build

build:
	scripts/build.sh

# Build what is missing and run the demo lab (needs root).
lab:
	scripts/lab.sh

# The whole test suite (needs root for the namespace tests).
test:
	scripts/test.sh

bench:
	bench/perf.sh

# The libFuzzer targets, ten minutes each (clang; see tests/fuzz/README.md).
# scripts/fuzz.sh alone runs each for 30 seconds.
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh --seconds 600

clean:
	rm -rf build build-asan .lab
