"""Animations: what each channel animates and the keyframes its sampler holds.

A channel targets a node's translation, rotation, scale or morph weights (others, such as
KHR_animation_pointer's, are not drawn and not checked); its sampler's interpolation is
LINEAR, STEP or CUBICSPLINE, its input one SCALAR time per keyframe, its output the
path's type (VEC3, VEC4 for rotations, SCALAR weights) in a whole number per keyframe (three
for CUBICSPLINE), all finite. A clip is named as the renderer and the broker name it: its
``name``, or ``animation<index>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exchange.accessor_data import AccessorData
from exchange.errors import AssetInvalid
from exchange.json_fields import index, object_list, objects

INTERPOLATIONS = ("LINEAR", "STEP", "CUBICSPLINE")
OUTPUT_TYPES = {"translation": "VEC3", "rotation": "VEC4", "scale": "VEC3", "weights": "SCALAR"}


def clip_names(doc: dict[str, Any]) -> list[str]:
    return [
        str(clip.get("name", f"animation{i}")) for i, clip in enumerate(objects(doc, "animations"))
    ]


def drawn_channels(doc: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any], int]]:
    """(animation, target, sampler) of each channel the renderer draws, in a document
    :func:`check_animations` accepted."""
    for a, anim in enumerate(doc.get("animations", [])):
        for channel in anim.get("channels", []):
            target = channel["target"]
            if target.get("node") is not None and target.get("path") in OUTPUT_TYPES:
                yield a, target, channel["sampler"]


def check_animations(doc: dict[str, Any], data: AccessorData) -> None:
    nodes = objects(doc, "nodes")
    for a, anim in enumerate(objects(doc, "animations")):
        what = f"animations[{a}]"
        samplers = object_list(anim.get("samplers", []), f"{what}.samplers")
        channels = object_list(anim.get("channels", []), f"{what}.channels")
        for c, channel in enumerate(channels):
            target = channel.get("target")
            if not isinstance(target, dict):
                raise AssetInvalid(f"{what}.channels[{c}] has no target")
            path = target.get("path")
            if target.get("node") is None or path not in OUTPUT_TYPES:
                continue  # e.g. KHR_animation_pointer: the renderer ignores it
            index(target["node"], nodes, f"{what}.channels[{c}].target.node")
            s = index(channel.get("sampler"), samplers, f"{what}.channels[{c}].sampler")
            _check_sampler(samplers[s], f"{what}.samplers[{s}]", OUTPUT_TYPES[path], data)


def _check_sampler(sampler: dict[str, Any], what: str, output: str, data: AccessorData) -> None:
    interpolation = sampler.get("interpolation", "LINEAR")
    if interpolation not in INTERPOLATIONS:
        raise AssetInvalid(f"{what}.interpolation {interpolation!r} is not valid")
    times = index(sampler.get("input"), data.accessors, f"{what}.input")
    values = index(sampler.get("output"), data.accessors, f"{what}.output")
    if data.kind(times) != "SCALAR":
        raise AssetInvalid(f"{what}.input must be a SCALAR accessor (one time per keyframe)")
    if data.kind(values) != output:
        raise AssetInvalid(f"{what}.output must be a {output} accessor for its channel")
    keys = data.count(times) * (3 if interpolation == "CUBICSPLINE" else 1)
    if data.count(values) % keys:
        raise AssetInvalid(f"{what} has {data.count(values)} values for {keys} keyframes")


def check_animation_values(doc: dict[str, Any], data: AccessorData) -> None:
    for a, _, s in drawn_channels(doc):
        sampler, what = doc["animations"][a]["samplers"][s], f"animations[{a}].samplers[{s}]"
        data.check_finite(sampler["input"], f"{what}.input (keyframe times)")
        data.check_finite(sampler["output"], f"{what}.output (keyframe values)")
