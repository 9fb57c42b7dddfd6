# Two commands set everything up: `make lab` and `make test`. Both install the exact versions
# of uv.lock (with their hashes); `make lock` refreshes the lock from pyproject.toml's ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
# The lab hub's environment: the same lock, on a Python every learner may run (a pyenv or
# conda under /root is out of their reach, and their servers run as them).
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV := hub/venv
STAMP_HUB := $(HUB_VENV)/.installed-hub
PROXY := hub/node_modules/.bin/configurable-http-proxy

.PHONY: lab test test-hub test-fast bench clean html lock hub hub-stop

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

# `$(call quiet_lab,VENV)`: JupyterLab's news and update announcements would greet a
# first-time learner with a pop-up.
quiet_lab = $(1)/bin/jupyter labextension disable --level=sys_prefix \
	"@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1

$(STAMP_RUN): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV))
	$(call quiet_lab,$(VENV))
	touch $@

$(STAMP_DEV): uv.lock pyproject.toml | $(UV)
	$(call sync,$(VENV)) --extra dev --extra instructor --extra docs
	$(call quiet_lab,$(VENV))
	touch $(STAMP_RUN) $@

# The newest versions pyproject.toml's ranges allow, into uv.lock, scripts/uv-bootstrap.txt
# and environment.yml's pins. Then `make test`, and commit the three files together.
lock: | $(UV)
	$(UV) lock --upgrade
	$(UV) export --frozen --only-group bootstrap --no-emit-project --no-header \
		-o scripts/uv-bootstrap.txt
	$(UV) run --no-project --isolated --python $(BIN)/python --with packaging \
		--with "tomli; python_version < '3.11'" python scripts/pin_environment.py

# The whole repository is the root (notebooks link to exercises/ and solutions/); the index opens.
lab: $(STAMP_RUN)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00-index.ipynb

# nbval runs every notebook in notebooks/ and solutions/ and compares its outputs (strict).
# Two test workers share the two cores, so each keeps BLAS to one thread. The lab hub's
# end-to-end test (marked hub) needs root: it makes the learners' accounts.
test: $(STAMP_DEV) $(STAMP_HUB) $(PROXY)
	$(BIN)/ruff check $(wildcard rnnlesson tests benchmarks scripts)
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile \
		--nbval --nbval-current-env tests $(wildcard notebooks solutions)

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
	$(call quiet_lab,$(HUB_VENV))
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
html: $(STAMP_DEV)
	$(BIN)/python -m sphinx -b html -q -W --keep-going -c docs/site . build/html

clean:
	rm -rf $(VENV) build .pytest_cache hub/node_modules $(HUB_VENV)
