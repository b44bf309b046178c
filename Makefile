# The two commands: `make demo` and `make test`. Both set up .venv first when needed
# (tools/setup_env.sh, which also installs the plugin editable: `pip install -e .`; a second
# call reuses it in about a second).
PY := .venv/bin/python
# The suite runs on PYTEST_WORKERS processes (pytest-xdist), one thread each: most tests are
# single-threaded (tool runs in their own process, small models), so two workers use both
# cores of a 2-core machine (three measured no faster, 500 s against 512 s, and made the
# timing of tests that kill or pre-empt a run tighter). Tests sharing the e2e training run
# stay on one worker (--dist loadgroup). `$(PY) -m pytest tests` runs it in one process.
PYTEST_WORKERS ?= 2

.PHONY: setup test demo lint clean

setup:
	@bash tools/setup_env.sh

test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup tests

demo: setup
	$(PY) tools/demo.py --out demo_out

lint: setup
	.venv/bin/ruff check .

clean:
	rm -rf demo_out work_dirs .pytest_cache
