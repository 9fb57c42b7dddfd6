# Two commands set everything up: `make lab` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: lab test test-fast bench clean html

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# JupyterLab's news and update announcements would greet a first-time learner with a pop-up.
QUIET_LAB = $(BIN)/jupyter labextension disable --level=sys_prefix \
	"@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	$(QUIET_LAB)
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[dev,instructor]"
	$(QUIET_LAB)
	touch $(STAMP_RUN) $@

# The whole repository is the root (notebooks link to exercises/ and solutions/); the index opens.
lab: $(STAMP_RUN)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00-index.ipynb

# nbval runs every notebook in notebooks/ and solutions/ and compares its outputs (strict).
# Two test workers share the two cores, so each keeps BLAS to one thread.
test: $(STAMP_DEV)
	$(BIN)/ruff check $(wildcard rnnlesson tests benchmarks scripts)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile \
		--nbval --nbval-current-env tests $(wildcard notebooks solutions)

# The fast part alone, while working: no browser, no end-to-end grading, no nbval.
test-fast: $(STAMP_DEV)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 -m "not slow and not browser" tests

bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/bench_training_step.py

html: $(STAMP_DEV)
	$(BIN)/python scripts/build_html.py --out build/html

clean:
	rm -rf $(VENV) build .pytest_cache
