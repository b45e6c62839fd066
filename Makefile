# `make run` and `make test` create or refresh .venv and install the project, then run.
# On a machine without an NVIDIA GPU, torch's CPU build is installed (TORCH pins it; a local
# wheel cache or TORCH_INDEX=https://download.pytorch.org/whl/cpu supplies it).
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install gpu-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	@if command -v nvidia-smi >/dev/null 2>&1; then \
		$(PY) -m pip install -q torch; \
	else \
		$(PY) -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"; \
	fi
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/toolenv quickstart

test: $(STAMP)
	$(PY) -m pytest -q

gpu-test: $(STAMP)
	$(PY) -m pytest -q -m gpu

clean:
	rm -rf $(VENV)
