# The two commands a newcomer needs (see README.md):
#   make serve   install everything, then run the course demo (the site comes with issue #3)
#   make test    install everything, then lint and run every test
# Both create .venv/ on first use and install the exact versions in requirements/lock.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint unit demo install lock clean

$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

serve: demo

demo: $(STAMP)
	$(BIN)/python -m finlstm.demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

# pytest exits 5 when it collects no test; make stops on any non-zero exit, so an empty
# run fails here and in .ci/run.
unit: $(STAMP)
	$(BIN)/pytest

test: lint unit

# Re-pin every dependency after changing pyproject.toml (then commit requirements/lock.txt).
lock:
	rm -rf /tmp/finlstm-lock && $(PYTHON) -m venv /tmp/finlstm-lock
	/tmp/finlstm-lock/bin/pip install --quiet -e ".[test]"
	/tmp/finlstm-lock/bin/pip freeze --exclude-editable | grep -v '^finlstm' > requirements/lock.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache src/*.egg-info
