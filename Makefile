# All set-up lives here: `make run` and `make test` work on a fresh Debian machine.
# `make run` installs the runtime only; `make test` adds the dev tool-chain. Both idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-runtime
# Debian packages: the runtime's (Mesa EGL), and the test suite's (the reference GLSL compiler,
# poppler's pdftotext / pdftoppm to read the health report's PDF, docker-compose to check the
# compose files (`docker-compose config`), Chromium for the portal's
# browser tests; kubectl for `kubectl kustomize` of the k8s overlays, Debian's only where the
# machine has none: Google's kubectl package, where present, owns /usr/bin/kubectl).
SYSDEPS := libegl1 libegl-mesa0 libgl1-mesa-dri libgles2
DEV_SYSDEPS := glslang-tools poppler-utils chromium docker-compose wrk
PORT ?=

.PHONY: install sysdeps run test lint test-fast clean bench-fidelity bench-fidelity-env

.PHONY: install-runtime dev-sysdeps

# Installs those of the packages in $(1) that dpkg does not have.
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q $$missing; \
	fi
endef

sysdeps:
	$(call apt_install,$(SYSDEPS))

dev-sysdeps:
	$(call apt_install,$(DEV_SYSDEPS))
	@command -v kubectl >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q kubernetes-client; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# What `meshfarm serve` needs, and no more.
$(RUN_STAMP): pyproject.toml sdk/pyproject.toml | $(BIN)/python
	$(MAKE) sysdeps
	$(BIN)/python -m pip install -q -e . -e ./sdk --config-settings editable_mode=compat
	touch $(RUN_STAMP)

# The runtime plus the `dev` extra: tests, linters, Ray, the S3 test servers.
$(STAMP): pyproject.toml sdk/pyproject.toml | $(BIN)/python
	$(MAKE) sysdeps dev-sysdeps
	$(BIN)/python -m pip install -q -e '.[dev]' -e ./sdk --config-settings editable_mode=compat
	touch $(STAMP) $(RUN_STAMP)

# The Khronos glTF-Validator (npm, pinned in tools/gltf-validator/package-lock.json) under
# the machine's Node.js; Debian's nodejs + npm only when there is no npm at all.
GLTF_VALIDATOR := tools/gltf-validator/node_modules/gltf-validator/package.json

$(GLTF_VALIDATOR): tools/gltf-validator/package-lock.json
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q nodejs npm; }
	cd tools/gltf-validator && npm ci --no-audit --no-fund --silent
	touch $(GLTF_VALIDATOR)

# Blender as a Python module (FBX in and out) in a venv of its own: bpy 5.0.1 pins numpy<2,
# which the project's venv does not, and a crash inside Blender then never takes a worker down.
BLENDER_VENV := .venv-blender
BLENDER_STAMP := $(BLENDER_VENV)/.installed
BLENDER_PIP := bpy==5.0.1

$(BLENDER_STAMP):
	$(PYTHON) -m venv $(BLENDER_VENV)
	$(BLENDER_VENV)/bin/python -m pip install -q --upgrade pip
	$(BLENDER_VENV)/bin/python -m pip install -q $(BLENDER_PIP)
	touch $(BLENDER_STAMP)

# The portal's <model-viewer> (npm, pinned in tools/model-viewer/package-lock.json), copied
# into the broker's static files with three.js's Draco and KTX2 decoders it loads: the
# browser never fetches them from a CDN.
PORTAL_VENDOR := broker/portal/static/vendor/model-viewer.min.js
THREE_LIBS := tools/model-viewer/node_modules/three/examples/jsm/libs

$(PORTAL_VENDOR): tools/model-viewer/package-lock.json
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q nodejs npm; }
	cd tools/model-viewer && npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(PORTAL_VENDOR))
	rm -rf $(dir $(PORTAL_VENDOR))draco $(dir $(PORTAL_VENDOR))basis
	cp -r $(THREE_LIBS)/draco/gltf $(dir $(PORTAL_VENDOR))draco
	cp -r $(THREE_LIBS)/basis $(dir $(PORTAL_VENDOR))basis
	cp tools/model-viewer/node_modules/@google/model-viewer/dist/model-viewer.min.js $(PORTAL_VENDOR)

install-runtime: $(RUN_STAMP) $(GLTF_VALIDATOR) $(BLENDER_STAMP) $(PORTAL_VENDOR)

install: $(STAMP) $(GLTF_VALIDATOR) $(BLENDER_STAMP) $(PORTAL_VENDOR)

# `make run PORT=9000`; without PORT, MESHFARM_PORT (else 8000).
run: install-runtime
	$(BIN)/meshfarm serve $(if $(PORT),--port $(PORT))

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
	rm -rf $(VENV) $(BLENDER_VENV) .pytest_cache .mypy_cache .ruff_cache

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
