"""A thumbnail of the asset by meshfarm's own renderer: the asset in Y-up metres
(``normalised``, so a Z-up source stands upright), written to a temporary GLB, loaded as
the renderer loads any model, one turntable frame rendered.

No thumbnail is not an error: without a GL context (no EGL), or for an asset the
renderer refuses, the answer is None and the report goes on without a picture.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from PIL import Image

from exchange.asset import normalised, write_asset
from exchange.asset.model import Asset
from renderer import Renderer, RenderSettings, load_scene


def thumbnail_png(asset: Asset, size: int = 256) -> bytes | None:
    try:
        with tempfile.TemporaryDirectory(prefix="meshfarm-thumb-") as tmp:
            path = Path(tmp) / "asset.glb"
            write_asset(normalised(asset), path, "glb")
            scene = load_scene(path)
        settings = RenderSettings(width=size, height=size, aspect="1:1", length=1.0, fps=1)
        with Renderer(settings, time_limit_s=60.0) as renderer:
            frame = renderer.render_frame(scene, 0)
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG")
        return buffer.getvalue()
    except Exception:
        return None
