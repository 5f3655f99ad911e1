# 童心 tongxin — see README.md. Quick start: `make run`, `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PORT  ?= 8501
# Only this machine by default; a deployment sets the address it serves on (e.g. ADDRESS=0.0.0.0 behind its proxy).
ADDRESS ?= 127.0.0.1
export TONGXIN_DATA_DIR ?= $(CURDIR)/data
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run demo test system-deps bench bench-compare lint clean-data notify

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The demo warehouse, built once through the same ETL a department's file goes through.
# Never into a real deployment's folder: `etl init` (users, a root region) or a landing there means real data,
# and the demo would mix fictional children into it; such a folder publishes with `python -m etl build`.
$(TONGXIN_DATA_DIR)/snapshots/CURRENT: | $(VENV)/.installed
	@if [ -e "$(TONGXIN_DATA_DIR)/deployment.yaml" ] || [ -e "$(TONGXIN_DATA_DIR)/auth/users.json" ] || \
	    [ -e "$(TONGXIN_DATA_DIR)/landed/load_log.jsonl" ]; then \
	  echo "数据目录 $(TONGXIN_DATA_DIR) 已用于真实部署但尚未发布快照：请运行 python -m etl build，不会写入示例数据。"; \
	  echo "The data folder is a real deployment without a published snapshot: run python -m etl build (no demo data is written)."; \
	  echo "（若这是中断的示例导入 an interrupted demo: make clean-data 后重试 then retry）"; \
	  exit 1; fi
	$(PY) -m etl init-demo --scale city

demo: $(TONGXIN_DATA_DIR)/snapshots/CURRENT

run: install demo
	@echo "童心 is starting on http://$(ADDRESS):$(PORT)"
	$(VENV)/bin/streamlit run server.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

# Alerts and subscriptions, once: what cron or a systemd timer runs (README: 提醒与定期推送).
notify: install
	$(PY) -m etl notify

# Debian's chromium (browser tests) and Noto CJK fonts (Chinese in screenshots and charts).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; \
	fi

# Two workers, one per core: most tests wait on a browser, a server or a subprocess, so two run in less than
# half the one-process time (922 tests in 8m22s on a fresh clone; 661 took 16m01s in one process). A test file
# runs whole on one worker (its module fixtures start once).
test: install system-deps
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=25

bench: install
	$(PY) -m bench

# Each page's queries, this tree against an earlier commit (BASE), on the same snapshot (CPU time).
bench-compare: install
	$(PY) -m bench.compare_pages $(BASE) $(BENCH_DATA)

lint: install
	$(VENV)/bin/ruff check .

clean-data:
	rm -rf "$(TONGXIN_DATA_DIR)"
