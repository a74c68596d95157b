# idr — two commands matter: `make run` and `make test` (see README.md).
# Both install what a fresh Debian machine lacks, idempotently, before building.

SWIFT      ?= swift
SAMPLE_DIR ?= .build/sample
RECORDS    ?= 1000000
SEED       ?= 42
ATTRIBUTES ?= typical
BENCH      := .build/release/idr-bench
PYTHON     ?= python3
# Python packages for the binding's tests and benchmark, pinned.
PY_PINS    := cffi==2.0.0 pytest==9.0.3 hypothesis==6.155.2 numpy==2.4.6 pandas==3.1.1 pyarrow==26.0.1
# Apache Spark for idr.spark (local mode in the tests); it needs a Java 17+ runtime.
SPARK_PINS := pyspark==4.0.1

.PHONY: all deps py-deps spark-deps test-spark spark-example build release lib lib-static run test test-swift test-cli test-c test-fuzz test-python fuzz soak bench bench-python clean

all: build

# System packages: libxxhash-dev (XXH3), zlib1g-dev (gzip input); gcc, g++ and valgrind for the C suite.
# `apt-get update` runs once, only when something is missing.
deps:
	@missing=""; \
	for p in libxxhash-dev zlib1g-dev gcc g++ valgrind binutils; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# libidr.so for C and FFI users, linked against the Swift runtime of this toolchain
# (RUNPATH points at it): .build/release/libidr.so
lib: deps
	$(SWIFT) build -c release --product idr

# A self-contained libidr.so (Swift runtime linked in; needs only libc, libstdc++ and libxxhash):
# .build-static/release/libidr.so
lib-static: deps
	$(SWIFT) build -c release --product idr -Xswiftc -static-stdlib --scratch-path .build-static

# The main job on a generated sample: generate, resolve, score against the truth.
run: release
	@mkdir -p $(SAMPLE_DIR)
	$(BENCH) generate --records $(RECORDS) --seed $(SEED) --attributes $(ATTRIBUTES) --out $(SAMPLE_DIR)/records.csv --truth $(SAMPLE_DIR)/truth.csv
	$(BENCH) resolve $(SAMPLE_DIR)/records.csv --out $(SAMPLE_DIR)/entities.csv --stats $(SAMPLE_DIR)/stats.json
	$(BENCH) score --truth $(SAMPLE_DIR)/truth.csv --predicted $(SAMPLE_DIR)/entities.csv

test: deps test-swift test-cli test-c test-fuzz test-python test-spark

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# End-to-end checks of the CLI binary (debug build from test-swift).
test-cli:
	bash .ci/cli-tests.sh .build/debug/idr-bench

# The C ABI: examples, header checks, test suite under ASan+UBSan and valgrind, readers + writer
# under ThreadSanitizer (against a libidr.so built with -sanitize=thread), exported symbols.
test-c:
	$(SWIFT) build --product idr
	$(SWIFT) build --product idr -Xswiftc -sanitize=thread --scratch-path .build-tsan
	bash bindings/c/run-tests.sh .build/debug .build-tsan/debug

# libFuzzer targets (loader, C call sequences, CSV, JSON Lines, normalizers): 15 s each in `make test`,
# as long as asked with `make fuzz SECONDS=N`.
SECONDS ?= 60
test-fuzz:
	bash bindings/c/fuzz/run.sh 15

fuzz: deps
	bash bindings/c/fuzz/run.sh $(SECONDS)

# Random operation sequences for SECONDS: the online engine against bulk resolution and against
# the reference model (Swift, in parallel), then the Python state machine over libidr.so
# (about 20 sequences a second, so SECONDS × 20 of them).
soak: deps py-deps lib
	IDR_SOAK_SECONDS=$(SECONDS) $(SWIFT) test -c release --filter soak
	$(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	IDR_PY_MODEL_EXAMPLES=$$(( $(SECONDS) * 20 )) $(PYTHON) -m pytest -q -p no:cacheprovider --import-mode=importlib bindings/python/tests/test_model.py

# Python: the pinned packages, then the binding itself (pip builds and ships libidr.so).
py-deps:
	$(PYTHON) -m pip install -q --disable-pip-version-check $(PY_PINS)

# pyspark (pinned) and, when no Java 17+ is on the PATH, Debian's OpenJDK 17 runtime.
spark-deps: py-deps
	@v=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then \
		echo "installing openjdk-17-jre-headless"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	fi
	$(PYTHON) -m pip install -q --disable-pip-version-check $(SPARK_PINS)

# idr.spark on Spark local[2] against the single-machine resolver (a few minutes).
test-spark: deps spark-deps lib
	$(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	IDR_REQUIRE_SPARK=1 $(PYTHON) -m pytest -q -p no:cacheprovider --import-mode=importlib bindings/python/tests/test_spark.py

# The Spark example in local mode on a generated sample (see README, "Spark").
spark-example: release spark-deps lib
	$(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	@mkdir -p $(SAMPLE_DIR)
	$(BENCH) generate --records $(RECORDS) --seed $(SEED) --out $(SAMPLE_DIR)/records.csv --truth $(SAMPLE_DIR)/truth.csv
	$(PYTHON) bindings/python/examples/spark_resolve.py $(SAMPLE_DIR)/records.csv $(SAMPLE_DIR)/spark-entities

test-python: deps py-deps lib
	$(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	$(PYTHON) -m pytest -q -p no:cacheprovider --import-mode=importlib bindings/python/tests --ignore=bindings/python/tests/test_spark.py

# Bulk resolve per stage and end to end at 1M and 10M records, then the peers (pyarrow + scipy,
# DuckDB, networkx up to 1M) on the same files in the same run (not part of `make test`).
BENCH_RECORDS ?= 1000000,10000000
PEER_PINS     := pyarrow==26.0.1 duckdb==2.0.0 scipy==1.17.1 networkx==3.6.1 numpy==2.4.6
bench: release
	$(PYTHON) -m pip install -q --disable-pip-version-check $(PEER_PINS)
	$(BENCH) bench --records $(BENCH_RECORDS) --seed $(SEED) --rounds 3
	for n in $$(echo $(BENCH_RECORDS) | tr ',' ' '); do \
		$(PYTHON) Benchmarks/peers/run_peers.py .build/bench/records-$$n-$(SEED).csv --idr-bench $(BENCH) || exit 1; \
	done

# add_many from Python against the native engine on the same 1M generated records.
bench-python: release py-deps
	$(PYTHON) -m pip install -q --disable-pip-version-check ./bindings/python
	@mkdir -p $(SAMPLE_DIR)
	test -f $(SAMPLE_DIR)/records.csv || $(BENCH) generate --records $(RECORDS) --seed $(SEED) --out $(SAMPLE_DIR)/records.csv
	$(PYTHON) bindings/python/bench/bench_add_many.py $(SAMPLE_DIR)/records.csv --idr-bench $(BENCH)

clean:
	rm -rf .build .build-tsan .build-static .build-fuzz bindings/python/build
