# The two commands a newcomer needs (see README.md):
#   make serve   install everything, execute the lessons, build and serve the site
#   make test    install everything, lint, run every test (unit, lessons, site, browser)
# Both create .venv/ on first use and install the exact versions in requirements/lock.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDRESS ?= 127.0.0.1:8000
# mkdocs-material prints a notice about MkDocs 2 on every build; it is not about this site.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test lint unit lessons new-lesson diagram-sizes demo bench install lock clean

$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e ".[docs,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# axe-core for the accessibility test (tests/site/test_accessibility.py), pinned in
# package-lock.json: a test tool from npm, never part of the site. `make serve` needs no Node.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package-lock.json
	@command -v npm >/dev/null || { echo "error: the accessibility test installs axe-core with npm: install Node.js and npm (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

install: $(STAMP) $(AXE)

# Lessons run before the first page is built (course_site.lessons, called by the hook
# docs/hooks/lessons.py); unchanged ones come
# from .cache/lessons/. The server rebuilds when a page, a lesson or the library changes.
serve: $(STAMP)
	$(BIN)/mkdocs serve --strict --dev-addr $(ADDRESS)

build: $(STAMP)
	$(BIN)/mkdocs build --strict

# Execute the lessons only (NAME=m3_price_model for one; FORCE=1 ignores the cache; JOBS=1
# runs one at a time, the default is one per CPU core, at most four).
lessons: $(STAMP)
	$(BIN)/python -m course_site.lessons $(NAME) $(if $(FORCE),--force,) $(if $(JOBS),--jobs $(JOBS),)

# Record the drawn size of every Mermaid diagram (docs/data/diagram_sizes.json), so that a
# page holds a diagram's place before Mermaid draws it; run after changing a diagram.
diagram-sizes: build
	$(BIN)/python scripts/measure_diagrams.py --site site

# Start a lesson from lessons_src/_template.py and list it in mkdocs.yml's nav:
#   make new-lesson NAME=m4_my_topic TITLE="A title" MODULE=4
new-lesson: $(STAMP)
	$(BIN)/python scripts/new_lesson.py "$(NAME)" "$(TITLE)" --module "$(MODULE)"

# Benchmarks (never part of make test): finlstm vs Flax nn.RNN, PyTorch and Keras on CPU: the
# train step (bench/run.py), then what a learner waits for (bench/first_epoch.py).
# PyTorch comes from the local CPU wheel when there is one (TORCH_WHEELS).
TORCH_WHEELS ?= /opt/wheels
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt \
		$(if $(wildcard $(TORCH_WHEELS)),--find-links $(TORCH_WHEELS),) -e ".[bench]"
	$(BIN)/python -m bench.run $(ARGS)

demo: $(STAMP)
	$(BIN)/python -m finlstm.demo

lint: $(STAMP)
	$(BIN)/ruff check src tests lessons_src docs/hooks scripts bench examples
	$(BIN)/ruff format --check src tests lessons_src docs/hooks scripts bench examples
	$(BIN)/python scripts/check_lessons.py
	$(BIN)/python docs/hooks/course_data.py

# pytest exits 5 when it collects no test; make stops on any non-zero exit, so an empty
# run fails here and in .ci/run.
unit: $(STAMP) $(AXE)
	scripts/ensure_chromium.sh
	$(BIN)/pytest

test: lint unit

# Re-pin every dependency after changing pyproject.toml (then commit requirements/lock.txt).
lock:
	rm -rf /tmp/finlstm-lock && $(PYTHON) -m venv /tmp/finlstm-lock
	/tmp/finlstm-lock/bin/pip install --quiet -e ".[docs,test]"
	/tmp/finlstm-lock/bin/pip freeze --exclude-editable | grep -v '^finlstm' > requirements/lock.txt

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis .ruff_cache src/*.egg-info site .cache docs/lessons
