# Two entry points: `make demo` (scan a local demo estate, write reports) and `make test`.
# Both set everything up on a fresh Debian machine first.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint schemas bench bench-nmap mutation clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/install-system-deps.sh
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/rempart demo --out rempart-demo --pdf

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy scanner reports bench

# the JSON Schemas of the inventory, rule packs, waivers and results, from their typed models
schemas: setup
	$(BIN)/python -m scanner.schemagen

test: setup lint
	$(BIN)/pytest -n 2 --dist loadfile

bench: setup
	$(BIN)/python bench/tls_bench.py

bench-nmap: setup  # root: network namespaces; about 10 minutes
	$(BIN)/python -m bench.nmap_bench

# mutation testing of the judging core (outside `make test`: it takes several minutes)
mutation: setup
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) rempart-demo .pytest_cache .mypy_cache .ruff_cache
