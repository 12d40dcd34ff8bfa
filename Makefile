# One task runner for developers and CI. Every target creates the virtualenv it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= data/demo/foodnews.db
PORT ?= 8001

.PHONY: demo test lint install score clean browser-deps bench-search bench-extract bench-limits bench-crawl bench-workbooks

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
test: install browser-deps
	FOODNEWS_REQUIRE_BROWSER=$$(command -v chromium >/dev/null && echo 1) $(BIN)/python -m pytest -q

# The browser test (tests/browser) drives Debian's chromium, with CJK fonts so that Chinese renders. They
# are installed from apt when missing and this runs as root (CI); elsewhere that test is skipped.
BROWSER_DEBS := chromium fonts-noto-cjk
browser-deps:
	@if dpkg -s $(BROWSER_DEBS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(BROWSER_DEBS) for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_DEBS) >/dev/null; \
	elif ! command -v chromium >/dev/null; then \
		echo "chromium is missing (apt-get install $(BROWSER_DEBS)): the browser test will be skipped"; fi

## bench-search: search latency on a synthetic archive of BENCH_ARTICLES articles (1M takes hours to build)
BENCH_ARTICLES ?= 1000000
BENCH_DB ?= data/bench/search-$(BENCH_ARTICLES).db
bench-search: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_search.py --articles $(BENCH_ARTICLES) --db $(BENCH_DB)

## bench-crawl: the full pipeline on a generated replay of BENCH_CRAWL_ARTICLES article pages, beside scrapy bench
BENCH_CRAWL_ARTICLES ?= 10000
bench-crawl: install
	$(BIN)/python bench/bench_crawl.py --articles $(BENCH_CRAWL_ARTICLES)

## bench-workbooks: python-calamine beside openpyxl and xlrd reading a result workbook (cells and merged ranges)
bench-workbooks: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_workbooks.py

## bench-limits: peak RSS of a crawl of hostile pages, and what hostile requests cost the server
bench-limits: install
	$(BIN)/python bench/bench_limits.py

## bench-extract: our engine beside trafilatura, GNE and magic-html on ../shared/corpus, plus 10,000 fuzzed inputs
# The first Python >= 3.12 that runs (pyenv shims may exist without working): magic-html needs it.
MAGIC_PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
bench-extract: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@if [ -n "$(MAGIC_PYTHON)" ] && [ -d ../shared/corpus ] && [ ! -x .venv-magic/bin/python ]; then \
		$(MAGIC_PYTHON) -m venv .venv-magic && .venv-magic/bin/python -m pip install --quiet 'magic-html==0.1.8' \
		|| rm -rf .venv-magic; fi
	$(BIN)/python bench/bench_extract.py $$([ -x .venv-magic/bin/python ] && echo --magic-html-python .venv-magic/bin/python)

## score: extraction accuracy on ../shared/corpus (skipped when it is absent)
score: install
	@if [ -d ../shared/corpus ]; then \
		$(BIN)/python -m pip install --quiet -e '.[bench]' && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/score.py ../shared/corpus/zh-gne/labels.jsonl ../shared/corpus/zh-gne && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/score.py ../shared/corpus/zh-news/meta.jsonl ../shared/corpus/zh-news && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/bodyf1.py ../shared/corpus/zh-news --system project && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/tools/bodyf1.py ../shared/corpus/en-news --system project; \
	else echo "../shared/corpus is absent: nothing to score"; fi

## lint: ruff (the rule set pinned in pyproject.toml), ruff format --check, mypy on crawler and archive
lint: install
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-magic data/demo .pytest_cache
