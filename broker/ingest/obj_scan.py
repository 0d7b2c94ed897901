"""Counting an OBJ while it streams out of the ZIP, before any mesh is built.

trimesh parses the whole text into arrays at once: 30 MB of ``f 1 2 3`` lines (a 50 KB ZIP)
become millions of faces and gigabytes. The counts here come first, block by block with
numpy (no Python loop per line), so an OBJ over the triangle or vertex limit is refused
after the first block past the limit. Counts are upper bounds of what trimesh would build:
a face of n corners is n − 2 triangles, and a trailing comment counts as corners.
"""

from __future__ import annotations

import re

import numpy as np

from broker.ingest.errors import ModelInvalid
from broker.ingest.limits import ModelLimits

MAX_LINE = 1024 * 1024
INDENTED = re.compile(rb"(?m)^[ \t]+")


class ObjScan:
    """Feed it the OBJ's bytes in order; it raises ModelInvalid once a limit is passed."""

    def __init__(self, limits: ModelLimits) -> None:
        self.limits = limits
        self.vertices = 0
        self.triangles = 0
        self.mtllib: str | None = None
        self._carry = b""

    def feed(self, data: bytes) -> None:
        block = self._carry + data
        cut = block.rfind(b"\n") + 1
        self._carry = block[cut:]
        if len(self._carry) > MAX_LINE:
            raise ModelInvalid("the OBJ has a line longer than 1 MB")
        if cut:
            self._count(block[:cut])

    def finish(self) -> None:
        if self._carry:
            self._count(self._carry + b"\n")
            self._carry = b""
        if self.triangles == 0:
            raise ModelInvalid("the OBJ has no faces")

    def _count(self, block: bytes) -> None:
        """Count ``v`` and ``f`` lines of ``block`` (whole lines, ending in a newline)."""
        if self.mtllib is None and (at := block.find(b"mtllib")) >= 0:
            # trimesh reads the first "mtllib" of the text, to the end of its line
            self.mtllib = block[at + 6 : block.index(b"\n", at)].decode("utf-8", "replace").strip()
        if b"\n " in block or b"\n\t" in block or block[:1] in (b" ", b"\t"):
            block = INDENTED.sub(b"", block)  # rare: only then pay for a rewrite
        a = np.frombuffer(block + b"\n", dtype=np.uint8)
        ws = a <= 32  # space, tab, CR, LF and the other control bytes
        token = ~ws
        token[1:] &= ws[:-1]  # a token starts where whitespace ends
        ends = np.flatnonzero(a[:-1] == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))  # each line's first byte
        corners = np.add.reduceat(token[:-1], starts, dtype=np.int32) - 1
        kind, after = a[starts], ws[starts + 1]
        self.triangles += int(np.maximum(corners[(kind == ord("f")) & after] - 2, 0).sum())
        self.vertices += int(((kind == ord("v")) & after).sum())
        if self.triangles > self.limits.max_triangles:
            raise ModelInvalid(
                f"the OBJ has more than {self.limits.max_triangles:,} triangles "
                f"(at least {self.triangles:,})"
            )
        if self.vertices > self.limits.max_vertices:
            raise ModelInvalid(
                f"the OBJ has more than {self.limits.max_vertices:,} vertices "
                f"(at least {self.vertices:,})"
            )
