# All set-up lives here: `make run` and `make test` work on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSDEPS := libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 glslang-tools

.PHONY: install sysdeps run test lint test-fast clean bench-fidelity bench-fidelity-env

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

# Fidelity benchmark peers, never project dependencies: Blender Cycles (bpy, which needs
# Python 3.11), NVIDIA FLIP and Playwright in their own venv, Debian's Chromium and
# <model-viewer> from npm. See bench/fidelity.py and docs/renderer.md.
BENCH_VENV := bench/.venv-bpy
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_PIP := bpy==5.0.1 flip-evaluator==1.7 OpenEXR==3.5.3 playwright==1.65.2 numpy==1.26.4 pillow
MODEL_VIEWER := bench/.model-viewer/node_modules/@google/model-viewer/package.json

$(BENCH_STAMP):
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q $(BENCH_PIP)
	touch $(BENCH_STAMP)

$(MODEL_VIEWER):
	@command -v chromium >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }
	mkdir -p bench/.model-viewer
	cd bench/.model-viewer && { test -f package.json || echo '{"private": true}' > package.json; } && \
		npm install --no-audit --no-fund --silent @google/model-viewer@4.4.0

bench-fidelity-env: $(BENCH_STAMP) $(MODEL_VIEWER)

bench-fidelity: install bench-fidelity-env
	$(BIN)/python bench/fidelity.py $(ARGS)
