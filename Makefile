# The two commands: `make demo` and `make test`. Both set up .venv first when needed
# (tools/setup_env.sh, which also installs the plugin editable: `pip install -e .`; a second
# call reuses it in about a second).
PY := .venv/bin/python

.PHONY: setup test demo lint clean

setup:
	@bash tools/setup_env.sh

test: setup
	$(PY) -m pytest -q tests

demo: setup
	$(PY) tools/demo.py --out demo_out

lint: setup
	.venv/bin/ruff check .

clean:
	rm -rf demo_out work_dirs .pytest_cache
