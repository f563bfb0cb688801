# Targets are files: raw/ PDF → build/ JSON per stage → output/ tables, so `make` reruns only
# what changed. `make help` lists the commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp

PDF := raw/085_03_02.pdf
REPLICA := tests/fixtures/085_03_02.replica.pdf
VARIANT := tests/fixtures/variant_a.pdf
QUIRKS := $(patsubst %.json,%.pdf,$(wildcard tests/fixtures/quirks/*.json))
GOLDEN := tests/fixtures/golden/085_03_02
OUT := output

.DEFAULT_GOAL := help
.PHONY: help install lock run test lint typecheck format replica bench clean download report fuzz office-fixtures report-check mutate

help: ## List the targets
	@grep -hE '^[a-zA-Z_/.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# requirements-dev.lock pins, with their hashes, everything .venv holds: the dependencies,
# the dev and report extras, pip-tools, pip, and the setuptools that builds the package
# (its build-system requirement). `make lock` writes it with pip-compile, for Python 3.11 on
# Linux x86_64, from pyproject.toml, whose bounds stay for those who install the package
# themselves. The package itself, which the dev extra names to include the report extra, is
# not pinned (--unsafe-package, pip-tools#2002; hence pip-compile's closing warning that the
# file "may be rejected", about that package alone): `pip install -e .` installs it.
LOCK := requirements-dev.lock
LOCK_OPTIONS := --generate-hashes --build-deps-for=editable --extra=dev --extra=report \
	--unsafe-package=meti-disclosures --no-allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
LOCKFLAGS ?=

# Every file installed is checked against the lock's hashes; the package goes in without
# dependencies and without build isolation, so nothing unpinned is fetched.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP) ## Create .venv (if missing) and install requirements-dev.lock, then the package

lock: $(STAMP) ## Re-resolve requirements-dev.lock from pyproject.toml (LOCKFLAGS=--upgrade: newest allowed)
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet $(LOCK_OPTIONS) $(LOCKFLAGS) \
		--output-file=$(LOCK) pyproject.toml

$(PDF): | $(STAMP)
	$(PY) -m pipeline download --to $@

download: $(STAMP) ## Fetch the PDF again (cached copy kept if unchanged)
	$(PY) -m pipeline download --to $(PDF) --force

# What each stage's command reads besides its input: every module it imports and every data
# file it reads (tests/test_makefile.py derives these from the imports and checks them), so
# `make run` after any edit rebuilds exactly what that edit affects.
CLI := pipeline/__init__.py pipeline/__main__.py pipeline/cli.py pipeline/errors.py \
	pipeline/records.py pipeline/files.py pipeline/findings.py pipeline/schema.py \
	pipeline/diff.py pipeline/workers.py $(STAMP)
EXTRACT := pipeline/extract.py pipeline/ruling.py pipeline/limits.py pipeline/pdfsniff.py \
	pipeline/text.py pipeline/workers.py pipeline/data/headers.toml pipeline/data/EquivalentUnifiedIdeograph.txt
REPAIR := pipeline/repair.py pipeline/text.py
NORMALIZE := pipeline/normalize.py pipeline/companies.py pipeline/data/companies.csv
TABLES := pipeline/tables.py pipeline/companies.py pipeline/text.py pipeline/data/companies.csv
WRITE := pipeline/write.py
# Where the PDF came from (network, replica), which document.json records.
MANIFEST := $(wildcard $(PDF:.pdf=.manifest.json))

build/extracted.json: $(PDF) $(CLI) $(EXTRACT)
	$(PY) -m pipeline extract --pdf $< --out $@

build/repaired.json: build/extracted.json $(CLI) $(REPAIR)
	$(PY) -m pipeline repair --in $< --out $@

build/normalized.json: build/repaired.json $(CLI) $(NORMALIZE)
	$(PY) -m pipeline normalize --in $< --out $@

build/tables.json: build/normalized.json $(CLI) $(TABLES) $(MANIFEST)
	$(PY) -m pipeline tables --in $< --out $@

$(OUT)/disclosures.parquet $(OUT)/disclosures.csv &: build/tables.json $(CLI) $(WRITE)
	$(PY) -m pipeline write --in $< --out $(OUT)

run: $(OUT)/disclosures.parquet ## Download, run every stage, write output/ and check it against the golden file
	$(PY) -m pipeline check --out $(OUT) --golden $(GOLDEN)

# The suite runs on every core (pytest-xdist); `$(BIN)/pytest -q` alone runs it in one process.
test: $(STAMP) ## Install, then run the whole test suite
	$(BIN)/pytest -q -n auto

# Mutation testing (docs/testing.md; settings in pyproject.toml's [tool.mutmut] and
# [tool.pipeline.mutation-tests]), MUTATE_JOBS child processes (default: every core). Without
# MODULES it runs every mutant of pipeline/ that has no result yet, so a run stopped half-way
# goes on where it stopped; MODULES="pipeline/text.py pipeline/ruling.py" reruns every mutant
# of those files. Not part of `make test`.
MODULES ?=
MUTANTS := $(foreach m,$(patsubst %/,%,$(MODULES)),'$(subst /,.,$(m:.py=)).*')
MUTATE_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

mutate: $(STAMP) ## Mutation-test pipeline/ (MODULES="pipeline/text.py ..." for some files only)
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/mutmut results
	$(PY) tests/mutation_scores.py

fuzz: $(STAMP) ## Run the seeded fuzz test on 400 damaged replicas (FUZZ_CASES=N for another count)
	FUZZ_CASES=$${FUZZ_CASES:-400} $(BIN)/pytest -q -n auto tests/test_fuzz.py

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests

typecheck: $(STAMP) ## mypy over pipeline/ (settings in pyproject.toml's [tool.mypy])
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format pipeline tests
	$(BIN)/ruff check --fix pipeline tests

$(REPLICA): tests/fixtures/build_replica.py tests/fixtures/replica_085_03_02.json | $(STAMP)
	$(PY) tests/fixtures/build_replica.py tests/fixtures/replica_085_03_02.json $@

$(VARIANT): tests/fixtures/build_replica.py tests/fixtures/variant_a.json | $(STAMP)
	$(PY) tests/fixtures/build_replica.py tests/fixtures/variant_a.json $@

# A quirk fixture is the main spec with the quirk's overrides, drawn and then post-processed.
$(QUIRKS): tests/fixtures/quirks/%.pdf: tests/fixtures/quirks/%.json \
		tests/fixtures/replica_085_03_02.json tests/fixtures/build_replica.py \
		tests/fixtures/build_quirks.py tests/fixtures/quirks.py | $(STAMP)
	$(PY) tests/fixtures/build_quirks.py $< $@

# The report reads the incidents tables too; they are written together with
# disclosures.parquet, so that file stands for all of them.
$(OUT)/timeline.png $(OUT)/report.html &: $(OUT)/disclosures.parquet pipeline/report.py
	$(PY) -m pipeline report --out $(OUT)

report: $(OUT)/report.html ## Write output/timeline.png and output/report.html

# The report as a browser shows it on a machine without a Japanese font: Debian's Chromium
# (apt-get install chromium), headless, with every font that covers Japanese hidden from
# fontconfig, so that only the font report.html embeds can draw its Japanese; any character
# it lacks shows as a box in output/report.png.
CHROMIUM ?= chromium
REPORT_WINDOW ?= 1280,1600
NO_JA_FONTS := '<?xml version="1.0"?>' '<fontconfig>' \
	'<include ignore_missing="yes">/etc/fonts/fonts.conf</include>' \
	'<selectfont><rejectfont><pattern><patelt name="lang"><string>ja</string></patelt>' \
	'</pattern></rejectfont></selectfont>' '</fontconfig>'

report-check: $(OUT)/report.html ## Screenshot output/report.html in headless Chromium without Japanese fonts (output/report.png)
	@command -v $(CHROMIUM) >/dev/null || { echo "report-check needs Chromium:" \
		"apt-get install -y chromium (or CHROMIUM=/path/to/chromium)" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	printf '%s\n' $(NO_JA_FONTS) > "$$tmp/fonts.conf" && export FONTCONFIG_FILE="$$tmp/fonts.conf" && \
	if command -v fc-list >/dev/null && [ -n "$$(fc-list :lang=ja)" ]; then \
		echo "report-check: fonts covering Japanese are still visible" >&2; exit 1; fi && \
	$(CHROMIUM) --headless --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync $$([ "$$(id -u)" = 0 ] && echo --no-sandbox) \
		--user-data-dir="$$tmp/profile" --hide-scrollbars --window-size=$(REPORT_WINDOW) \
		--screenshot="$(abspath $(OUT)/report.png)" "file://$(abspath $(OUT)/report.html)" \
		2>"$$tmp/log" || { cat "$$tmp/log" >&2; exit 1; }
	@echo "$(OUT)/report.png: output/report.html as Chromium draws it without Japanese fonts"

replica: $(REPLICA) $(VARIANT) $(QUIRKS) ## Rebuild the bundled replica PDFs and quirk fixtures

# The LibreOffice-exported fixtures (tests/fixtures/office/README.md). The generator's own
# packages live in a separate venv: `make test` needs none of them, the PDFs are committed.
OFFICE_VENV ?= /tmp/officevenv

office-fixtures: ## Rebuild tests/fixtures/office/ PDFs (needs LibreOffice: soffice + fonts-noto-cjk)
	@test -x $(OFFICE_VENV)/bin/python || $(PYTHON) -m venv $(OFFICE_VENV)
	$(OFFICE_VENV)/bin/python -m pip install --quiet python-pptx python-docx fonttools
	$(OFFICE_VENV)/bin/python tests/fixtures/office/build_office.py

# The bench's long document: the replica's table pages repeated to 150 pages (not committed).
LONG := build/bench/long.pdf

$(LONG): bench/build_long.py tests/fixtures/build_replica.py tests/fixtures/replica_085_03_02.json | $(STAMP)
	$(PY) bench/build_long.py $@

bench: $(STAMP) $(LONG) ## Time `run` against a bare pdfplumber pass, on the replica and a long PDF
	$(PY) bench/bench.py $(REPLICA)
	$(PY) bench/long.py --long $(LONG)

bench-suite: $(STAMP) ## Time `make test` against the suite of an earlier commit (BASELINE=bc31c0d), side by side
	$(PY) bench/suite.py $(if $(BASELINE),--baseline $(BASELINE))

clean: ## Remove build/ and output/ (raw/ is kept)
	rm -rf build $(OUT)/*.parquet $(OUT)/*.csv $(OUT)/*.json $(OUT)/*.png $(OUT)/*.html
