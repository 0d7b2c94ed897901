"""What the renderer can draw, for checks made before a job exists (the upload check).

The broker reaches the renderer only through ``workers`` (the layers contract in
pyproject.toml); this module is that route for the renderer's glTF extension support,
which the upload hands to :func:`exchange.model_check.check_model`, so a file that
*requires* an extension meshfarm cannot draw is refused at upload, with the extension's
name, instead of failing at its first render.
"""

from __future__ import annotations

from renderer.extensions import SUPPORTED_EXTENSIONS

__all__ = ["SUPPORTED_EXTENSIONS"]
