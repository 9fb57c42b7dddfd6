# Two commands set everything up: `make lab` and `make test`. Both install the exact versions
# of uv.lock (with their hashes); `make lock` refreshes the lock from pyproject.toml's ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_DOCS := $(VENV)/.installed-docs
STAMP_INSTRUCTOR := $(VENV)/.installed-instructor
# The lab hub's environment: the same lock, on a Python every learner may run (a pyenv or
# conda under /root is out of their reach, and their servers run as them).
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV := hub/venv
STAMP_HUB := $(HUB_VENV)/.installed-hub
PROXY := hub/node_modules/.bin/configurable-http-proxy

.PHONY: lab instructor test test-learner test-hub test-fast bench clean html lock hub hub-stop

# uv installs from the lock; it comes itself, pinned and hashed, from scripts/uv-bootstrap.txt.
$(UV): scripts/uv-bootstrap.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r scripts/uv-bootstrap.txt
	touch $@

# `$(call sync,VENV)`: install uv.lock into that venv. --locked stops with a message if
# pyproject.toml changed since the lock was made (run `make lock`); --inexact leaves uv, pip
# and anything installed by hand in place; --compile-bytecode writes every module's .pyc at
# install, once (where PYTHONDONTWRITEBYTECODE is set, as on the CI machine, or the venv is
# read-only, as inside the grading sandbox, each kernel would otherwise compile numpy,
# matplotlib and ipykernel from source: 1.9 s instead of 0.6 s to import pyplot).
sync = UV_PROJECT_ENVIRONMENT="$(CURDIR)/$(1)" $(UV) sync --locked --inexact --compile-bytecode \
	--python $(1)/bin/python

# `$(call setup_lab,VENV)`: the course's Jupyter settings in that venv (rnnlesson/labserver.py):
# learners' answers saved to work/, notebooks unchanged when opened on any Python, no news
# pop-up, nbgrader's menus hidden from learners.
setup_lab = $(1)/bin/python -m rnnlesson.labserver >/dev/null

$(STAMP_RUN): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV))
	$(call setup_lab,$(VENV))
	touch $@

# The tests' tools (and nbgrader, the site's tools: the suite grades and builds the site).
$(STAMP_DEV): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV)) --extra dev --extra instructor --extra docs
	$(call setup_lab,$(VENV))
	touch $(STAMP_RUN) $(STAMP_DOCS) $(STAMP_INSTRUCTOR) $@

# The site's tools alone, for `make html`.
$(STAMP_DOCS): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV)) --extra docs
	$(call setup_lab,$(VENV))
	touch $(STAMP_RUN) $@

# The instructor's tools (nbgrader, for `rnnlesson release` and `rnnlesson grade`, and dask's
# distributed for `rnnlesson grade --scheduler`), from the lock.
$(STAMP_INSTRUCTOR): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV)) --extra instructor --extra grading
	touch $(STAMP_RUN) $@

# The newest versions pyproject.toml's ranges allow, into uv.lock, scripts/uv-bootstrap.txt
# and environment.yml's pins. Then `make test`, and commit the three files together.
lock: | $(UV)
	$(UV) lock --upgrade
	$(UV) export --frozen --only-group bootstrap --no-emit-project --no-header \
		-o scripts/uv-bootstrap.txt
	$(UV) run --no-project --isolated --python $(BIN)/python --with packaging \
		--with "tomli; python_version < '3.11'" python scripts/pin_environment.py

# `make instructor`: the course with the instructor's tools, and a lab with nbgrader's menus.
instructor: $(STAMP_INSTRUCTOR)
	$(BIN)/python -m rnnlesson.labserver --instructor

# The whole repository is the root (notebooks link to exercises/ and solutions/); the index opens.
lab: $(STAMP_RUN)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00-index.ipynb

# nbval runs every notebook in notebooks/ and solutions/ and compares its outputs (strict).
# Two test workers share the two cores, so each keeps BLAS to one thread. The lab hub's
# end-to-end test (marked hub) needs root, its own venv and npm's proxy: CI builds them and
# runs it; elsewhere it is skipped unless they are there (`make test-hub` builds and runs it).
TEST_NEEDS := $(STAMP_DEV)
ifeq ($(CI),true)
TEST_NEEDS += $(STAMP_HUB) $(PROXY)
endif

test: $(TEST_NEEDS)
	$(BIN)/ruff check $(wildcard rnnlesson tests benchmarks scripts)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile \
		--nbval --nbval-current-env tests $(wildcard notebooks solutions)

# What depends on who runs the course and on which Python: nbval over the notebooks, the
# browser tests, the learner's work and the lab's settings. CI runs it a second time, as an
# ordinary user on the Debian Python (`.ci/run`).
LEARNER_TESTS := tests/test_browser.py tests/test_labserver.py tests/test_release.py \
	tests/test_stored_notebooks.py tests/test_environment.py

test-learner: $(STAMP_DEV)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile \
		--nbval --nbval-current-env $(LEARNER_TESTS) notebooks solutions

# The lab hub end to end (learner accounts, Chromium, nbgrader's exchange), alone.
test-hub: $(STAMP_DEV) $(STAMP_HUB) $(PROXY)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -m hub tests/test_hub.py

# The fast part alone, while working: no browser, no end-to-end grading, no nbval.
test-fast: $(STAMP_DEV)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 -m "not slow and not browser" tests

# A lab hub on this machine (run as root): learners from LEARNERS, one shared password.
# See docs/instructor.md. HUB_IP=0.0.0.0 opens it to the room; put TLS in front first.
LEARNERS ?= hub/learners.txt
HUB_IP ?= 127.0.0.1
HUB_PORT ?= 8000

$(STAMP_HUB): uv.lock pyproject.toml | $(UV)
	test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	$(call sync,$(HUB_VENV)) --extra hub
	$(HUB_VENV)/bin/python -m rnnlesson.labserver --instructor >/dev/null
	touch $@

# The proxy from npm, into hub/node_modules (no global install), as the lock file pins it.
$(PROXY): hub/package.json hub/package-lock.json
	npm ci --prefix hub --no-audit --no-fund
	touch $@

hub: $(STAMP_HUB) $(PROXY)
	$(HUB_VENV)/bin/python hub/lab.py start --learners "$(LEARNERS)" --ip "$(HUB_IP)" --port "$(HUB_PORT)"

hub-stop:
	$(HUB_VENV)/bin/python hub/lab.py stop

bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/bench_training_step.py

# The course site (Sphinx, myst-nb, the book theme; docs/site/) from the stored outputs:
# nothing is executed, nothing is fetched. Open build/html/index.html.
html: $(STAMP_DOCS)
	$(BIN)/python -m sphinx -b html -q -W --keep-going -c docs/site . build/html

clean:
	rm -rf $(VENV) build .pytest_cache hub/node_modules $(HUB_VENV)
