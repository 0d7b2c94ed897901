# All set-up lives here: `make run` and `make test` work on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSDEPS := libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 glslang-tools

.PHONY: install sysdeps run test lint test-fast clean

sysdeps:
	@if ! ldconfig -p | grep -q 'libEGL_mesa.so' || ! command -v glslangValidator >/dev/null; then \
		echo "installing Mesa EGL and the reference GLSL compiler ($(SYSDEPS))"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q $(SYSDEPS); \
	fi

$(STAMP): pyproject.toml
	$(MAKE) sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/meshfarm serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m 'not slow'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
