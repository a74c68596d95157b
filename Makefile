# idr — two commands matter: `make run` and `make test` (see README.md).
# Both install what a fresh Debian machine lacks, idempotently, before building.

SWIFT      ?= swift
SAMPLE_DIR ?= .build/sample
RECORDS    ?= 1000000
SEED       ?= 42
BENCH      := .build/release/idr-bench

.PHONY: all deps build release run test test-swift test-cli clean

all: build

# System packages: libxxhash-dev (XXH3). `apt-get update` runs once, only when something is missing.
deps:
	@missing=""; \
	for p in libxxhash-dev; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The main job on a generated sample: generate, resolve, score against the truth.
run: release
	@mkdir -p $(SAMPLE_DIR)
	$(BENCH) generate --records $(RECORDS) --seed $(SEED) --out $(SAMPLE_DIR)/records.csv --truth $(SAMPLE_DIR)/truth.csv
	$(BENCH) resolve $(SAMPLE_DIR)/records.csv --out $(SAMPLE_DIR)/entities.csv --stats $(SAMPLE_DIR)/stats.json
	$(BENCH) score --truth $(SAMPLE_DIR)/truth.csv --predicted $(SAMPLE_DIR)/entities.csv

test: deps test-swift test-cli

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# End-to-end checks of the CLI binary (debug build from test-swift).
test-cli:
	bash .ci/cli-tests.sh .build/debug/idr-bench

clean:
	rm -rf .build
