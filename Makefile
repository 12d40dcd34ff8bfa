# One task runner for developers and CI. Every target creates the virtualenv it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/demo/foodnews.db
PORT ?= 8001

.PHONY: demo test lint install score clean

$(BIN)/foodnews: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/foodnews

## demo: crawl the built-in offline replay site into $(DB) and serve it with Datasette
demo: install
	$(BIN)/foodnews demo --db $(DB) --port $(PORT)

## test: the whole test suite (offline: only 127.0.0.1 is contacted)
test: install
	$(BIN)/python -m pytest -q

## score: extraction accuracy on ../shared/corpus (skipped when it is absent)
score: install
	@if [ -d ../shared/corpus ]; then \
		$(BIN)/python -m pip install --quiet -e '.[bench]' && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/score.py ../shared/corpus/zh-gne/labels.jsonl ../shared/corpus/zh-gne && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/score.py ../shared/corpus/zh-news/meta.jsonl ../shared/corpus/zh-news && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/bodyf1.py ../shared/corpus/zh-news --system project && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/bodyf1.py ../shared/corpus/en-news --system project; \
	else echo "../shared/corpus is absent: nothing to score"; fi

lint: install
	$(BIN)/python -m pip install --quiet 'ruff>=0.6,<1'
	$(BIN)/ruff check crawler archive tests

clean:
	rm -rf $(VENV) data/demo .pytest_cache
