"""Hard limits that keep one hostile or huge model from taking down a worker.

Checked before the expensive step they guard (decoding, uploading, drawing), so a bad
file fails in milliseconds with :class:`~renderer.errors.ModelTooLarge` instead of
exhausting memory or hanging the GL driver.
"""

from __future__ import annotations

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest .glb/.gltf/.zip accepted (the API caps uploads at 100 MB)."""

MAX_ZIP_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
"""Sum of the uncompressed ZIP members we are willing to read (zip-bomb guard)."""

MAX_TRIANGLES = 4_000_000
"""Triangles drawn per frame over all mesh instances (10 M is refused)."""

MAX_VERTICES = 8_000_000
"""Vertices over all primitives after decoding."""

MAX_TEXTURE_PIXELS = 64 * 1024 * 1024
"""Pixels an image header may claim (8192²); larger claims are refused before decoding."""

MAX_TEXTURE_SIDE = 4096
"""Images larger than this on either side are downscaled before upload."""

MAX_NODES = 100_000
MAX_JOINTS = 1024
MAX_MORPH_TARGETS = 64
MAX_OUTPUT_SIDE = 8192
"""Largest output width/height; the 2× SSAA buffer is then 16384, GL's usual maximum."""
