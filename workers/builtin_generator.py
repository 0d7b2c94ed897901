"""Generators that run inside the worker instead of behind an HTTP endpoint, chosen with
``MESHFARM_GENERATOR_URL=builtin:<name>`` (a scheme no HTTP server can have, so an
operator's setting says unambiguously which kind it is).

The one built in is ``builtin:silhouette``: :func:`reconstruction.carve`, the visual hull
of 2–4 views of one object on a plain background, textured by the pictures. It is
classical geometry, not a generative model: it cannot read a prompt or invent the sides
one picture does not show, so those requests are refused with what it needs
(:func:`refusal`) — by the worker, and by the broker before any credit when it asks
first.
"""

from __future__ import annotations

from pathlib import Path

from reconstruction import DEFAULT_MAX_TRIANGLES, ReconstructionFailed, carve

PREFIX = "builtin:"
SILHOUETTE = "builtin:silhouette"
NAMES = (SILHOUETTE,)

NEEDS = (
    "the built-in generator (silhouette carving, MESHFARM_GENERATOR_URL=builtin:silhouette) "
    "needs 2 to 4 pictures of one object on a plain background, taken level with it, in "
    "the order front, right, back, left"
)

MIN_TRIANGLES = 500
"""A ``face_limit`` below this is raised to it: fewer triangles no longer follow the outline."""


class BuiltinRefused(ValueError):
    """The request is not one the built-in generator can serve (its message says why)."""


def is_builtin(url: str) -> bool:
    return url.startswith(PREFIX)


def refusal(url: str, *, prompt: str | None, images: int) -> str | None:
    """Why the built-in generator ``url`` cannot serve this request, or None when it can."""
    if url not in NAMES:
        return (
            f"Generation service unavailable: unknown built-in generator {url!r} "
            f"(the ones built in: {', '.join(NAMES)})"
        )
    if prompt:
        return f"A text prompt cannot be turned into a model here: {NEEDS}"
    if not 2 <= images <= 4:
        what = "one picture" if images == 1 else f"{images} pictures"
        return f"{what.capitalize()} cannot be turned into a model here: {NEEDS}"
    return None


def generate(
    url: str, dest: Path, *, prompt: str | None, images: list[Path], face_limit: int | None
) -> Path:
    """The GLB the built-in generator ``url`` makes of ``images``, written to ``dest``."""
    why = refusal(url, prompt=prompt, images=len(images))
    if why is not None:
        raise BuiltinRefused(why)
    limit = DEFAULT_MAX_TRIANGLES if face_limit is None else face_limit
    try:
        carve(images, dest, max_triangles=max(MIN_TRIANGLES, limit))
    except ReconstructionFailed as exc:
        raise BuiltinRefused(f"The pictures cannot be carved into a model: {exc}") from None
    return dest
