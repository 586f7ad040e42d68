# labfleet.zoo: one entry point for the teacher and for CI (.ci/run runs `make venv` then `make test`).
VENV ?= .venv
PYTHON3 ?= python3
PY = $(VENV)/bin/python
# Re-made whenever requirements.txt changes; `make venv` is a no-op otherwise.
VENV_STAMP = $(VENV)/.requirements.stamp
# ansible.cfg's collections_path (./collections) finds this checkout as labfleet.zoo through this link to the root.
# It is made here, never committed: a committed link to a directory fails `ansible-test sanity` (symlinks test).
COLLECTION_LINK = collections/ansible_collections/labfleet/zoo
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-m "not slow"'; the options live in pytest.ini.
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv test demo provision bench bench-lab clean

help: ## list the targets
	@echo 'labfleet.zoo targets (VENV=$(VENV)):'
	@grep -E '^[a-z][a-z-]*:.*## ' $(firstword $(MAKEFILE_LIST)) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## create the project venv (VENV, default .venv: requirements.txt) and the collections/ link to the root
	@if [ -e $(COLLECTION_LINK) ] && [ ! -L $(COLLECTION_LINK) ]; then \
		echo 'make venv: $(COLLECTION_LINK) is not a link to this checkout: move it away' >&2; exit 1; \
	fi
	@if [ "$$(readlink $(COLLECTION_LINK) 2>/dev/null)" != ../../.. ]; then \
		mkdir -p $(dir $(COLLECTION_LINK)) && ln -sfn ../../.. $(COLLECTION_LINK) && \
		echo 'linked $(COLLECTION_LINK) -> ../../.. (labfleet.zoo for ansible.cfg collections_path)'; \
	fi

$(VENV_STAMP): requirements.txt
	$(PY) -c '' 2>/dev/null || $(PYTHON3) -m venv --clear $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@

# pytest exit status 5 means "no tests collected": that is a failure here, never a pass.
test: venv ## run every test (pytest; options in pytest.ini)
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" -eq 5 ]; then \
		echo 'make test: FAILED: pytest collected no tests (exit status 5)' >&2; \
	fi; \
	exit $$status

demo: venv ## provision offline against a local synthetic zoo of the role's default models (into .cache/demo/tod_tf2)
	$(PY) tools/teacher/provision.py --demo

provision: venv ## provision THIS machine as a student PC (needs download.tensorflow.org)
	$(PY) tools/teacher/provision.py

bench: venv ## benchmark labfleet.zoo.model against curl|tar and get_url+unarchive
	$(PY) tools/dev/bench_install.py

bench-lab: venv ## a lab rerun over real SSH (8 and 30 hosts) against a ping play; needs root (ARGS='--help')
	PYTHONPATH=collections $(PY) -m ansible_collections.labfleet.zoo.tests.bench.bench_lab $(ARGS)

clean: ## remove build outputs, caches and the demo folder (keeps the venv)
	rm -rf build dist tests/output .pytest_cache .cache labfleet-zoo-*.tar.gz
	find . -path ./$(VENV) -prune -o -path ./collections -prune -o -path ./.git -prune -o \
		\( -name __pycache__ -type d -prune -exec rm -rf {} + \) -o \( -name '*.pyc' -type f -exec rm -f {} + \)
