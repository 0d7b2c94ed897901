"""Which files the converter reads and writes, by suffix: light enough for the API process
to ask (``exchange.asset`` itself imports every reader: trimesh, scipy, pxr)."""

from __future__ import annotations

USD_SUFFIXES = ("usd", "usda", "usdc", "usdz")
READ_SUFFIXES = ("glb", "gltf", "zip", "obj", "stl", "ply", "dae", "zae", "fbx", *USD_SUFFIXES)
"""What :func:`exchange.asset.read_asset` reads (FBX only where Blender is installed)."""
TARGETS = ("glb", "obj", "stl", "usdz", "usdc", "usda", "fbx")
"""What :func:`exchange.asset.write_asset` writes (FBX only where Blender is installed)."""
CONVERTER_VERSION = "1"
"""Part of every conversion cache key (docs/architecture.md, "The conversion cache"): bump
it when what the converter writes for the same input changes, so no file made by the old
converter is served again."""
FILE_SUFFIX = {"obj": "zip"}
"""A target's file suffix where it is not the target's name (OBJ: a ZIP with its MTL and
textures)."""


def file_name(stem: str, target: str) -> str:
    """The name a converted file gets: ``<stem>.<suffix>``."""
    return f"{stem}.{FILE_SUFFIX.get(target, target)}"
