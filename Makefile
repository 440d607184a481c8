# Two commands: `make run` (set up, bring the schema to head, seed the demo if empty, start) and `make test` (set up, run everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup migrate seed run test test-fast lint bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) manage.py migrate

seed: migrate
	$(PY) manage.py seed --scale demo --if-empty

run: seed
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT)

test: setup
	$(PY) -m pytest -n 2 --dist loadfile

test-fast: setup
	$(PY) -m pytest -n 2 --dist loadfile -m "not e2e"

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) data/*.db data/*.db-wal data/*.db-shm
