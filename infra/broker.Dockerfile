# syntax=docker/dockerfile:1
# The broker: the API (every dialect and the portal) and the dispatcher, `meshfarm serve`.
# It converts uploads itself (FBX through Blender's bpy), so it carries the bpy venv too;
# it never renders, so Mesa's EGL is enough here. Build from the repository root:
#   docker build -f infra/broker.Dockerfile -t meshfarm-broker:0.1.0 .
# The Python and Ray versions must equal the worker image's (Ray Client refuses a mismatch);
# tests/infra/test_dockerfiles.py holds the two files to the same pins.

# The portal's <model-viewer>, from npm at build time (never a CDN at run time).
FROM node:20.20.2-bookworm-slim AS portal
WORKDIR /src/tools/model-viewer
COPY tools/model-viewer/package.json tools/model-viewer/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11.14-slim-bookworm
# Debian's versions move with security updates and old ones leave the mirror, so they are
# pinned by the base image's release (bookworm), not one by one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgles2 \
        libx11-6 libxrender1 libxfixes3 libxi6 libxkbcommon0 libxxf86vm1 libsm6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group meshfarm \
    && mkdir -p /data && chown meshfarm:meshfarm /data
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    MESHFARM_DATA_DIR=/data \
    MESHFARM_BLENDER_PYTHON=/app/.venv-blender/bin/python
WORKDIR /app
# Blender as a Python module in a venv of its own, as the Makefile builds it (bpy pins numpy<2).
RUN python -m venv /app/.venv-blender \
    && /app/.venv-blender/bin/pip install bpy==5.0.1
COPY infra/constraints.txt infra/constraints.txt
COPY pyproject.toml README.md ./
COPY broker broker
COPY workers workers
COPY renderer renderer
COPY shaders shaders
COPY encoders encoders
COPY datasets datasets
COPY exchange exchange
COPY health health
COPY physics physics
COPY reconstruction reconstruction
COPY sdk sdk
COPY --from=portal /src/tools/model-viewer/node_modules/@google/model-viewer/dist/model-viewer.min.js broker/portal/static/vendor/model-viewer.min.js
# Installed in place with the SDK (broker.cli mounts `meshfarm client`), as `make install`
# does: the code finds its tools beside it (tools/).
# Ray for `serve --executor ray`: a Ray Client of the fleet's head needs ray[client].
RUN pip install -c infra/constraints.txt --config-settings editable_mode=compat -e . -e ./sdk 'ray[client]==2.60.0' \
    && python -m compileall -q broker workers renderer encoders datasets exchange health physics reconstruction
USER 10001:10001
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/v1/health' % os.environ.get('MESHFARM_PORT', '8000'), timeout=4)"]
CMD ["meshfarm", "serve", "--host", "0.0.0.0"]
