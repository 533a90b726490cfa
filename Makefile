# Two entry points for a fresh machine (see README.md):
#   make book   build the site into _build/html, every notebook executed
#   make test   run the test suite, which also executes every notebook
# Both create .venv and install the pinned requirements first.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
BOOK   ?= .
BOOK_OUT ?= $(BOOK)
JB_FLAGS = -W -n --keep-going
PYTEST_ARGS ?=

.PHONY: book test venv clean force-book

book: $(STAMP)
ifdef FORCE
	rm -rf $(BOOK_OUT)/_build/.jupyter_cache
endif
	$(BIN)/jupyter-book build $(JB_FLAGS) --path-output $(BOOK_OUT) $(BOOK)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf _build
