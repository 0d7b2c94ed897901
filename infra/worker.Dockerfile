# syntax=docker/dockerfile:1
# A Ray node of the fleet (head or worker): the broker's Ray actors run meshfarm's jobs here
# (renders, datasets, views, simulations on the GPU pool; conversions and SimReady builds on
# the CPU pool). Build from the repository root:
#   docker build -f infra/worker.Dockerfile -t meshfarm-worker:0.1.0 .
# GL: EGL through glvnd. On an NVIDIA node the NVIDIA container runtime mounts the driver's
# libEGL_nvidia.so.0 (NVIDIA_DRIVER_CAPABILITIES must include graphics); glvnd tries that
# vendor first (10_nvidia.json below) and falls back to Mesa's llvmpipe (50_mesa.json) where
# the library is absent — the same image on a CPU node.
# The Python and Ray versions must equal the broker image's (Ray Client refuses a mismatch).

# The Khronos glTF-Validator from npm, and a Node.js runtime to run it.
FROM node:20.20.2-bookworm-slim AS tools
WORKDIR /src/tools/gltf-validator
COPY tools/gltf-validator/package.json tools/gltf-validator/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11.14-slim-bookworm
# Debian's versions move with security updates and old ones leave the mirror, so they are
# pinned by the base image's release (bookworm), not one by one. ffmpeg: the command line
# beside PyAV's own libraries, for looking at outputs on the node.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgles2 libglvnd0 \
        libx11-6 libxrender1 libxfixes3 libxi6 libxkbcommon0 libxxf86vm1 libsm6 \
        libstdc++6 ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/share/glvnd/egl_vendor.d \
    && printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_nvidia.so.0"}}\n' \
        > /usr/share/glvnd/egl_vendor.d/10_nvidia.json \
    && useradd --create-home --uid 10001 --user-group meshfarm \
    && mkdir -p /data && chown meshfarm:meshfarm /data
COPY --from=tools /usr/local/bin/node /usr/local/bin/node
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics,video \
    MUJOCO_GL=egl \
    PYOPENGL_PLATFORM=egl \
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
COPY tools/gltf-validator/validate.mjs tools/gltf-validator/package.json tools/gltf-validator/
COPY --from=tools /src/tools/gltf-validator/node_modules tools/gltf-validator/node_modules
# Installed in place with the SDK (broker.cli mounts `meshfarm client`), as `make install`
# does: health.validators finds tools/ beside the code.
# ray[default]: the dashboard agent (KubeRay's probes) and the autoscaler on the head;
# ray[client]: the Ray Client server on the head, which the broker connects to.
RUN pip install -c infra/constraints.txt --config-settings editable_mode=compat -e . -e ./sdk \
        'ray[default,client]==2.60.0' \
    && python -m compileall -q broker workers renderer encoders datasets exchange health physics reconstruction
USER 10001:10001
VOLUME /data
# The dashboard agent's health endpoint, the one KubeRay probes on every Ray node.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:52365/api/healthz', timeout=4)"]
CMD ["ray", "start", "--address=ray-head:6379", "--block"]
