"""Skins: joints that exist (1 to ``max_joints`` of them, what the renderer's shader
holds) and, if given, one finite MAT4 inverse bind matrix per joint."""

from __future__ import annotations

from typing import Any

from exchange.accessor_data import AccessorData
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.json_fields import index, objects
from exchange.limits import AssetLimits


def check_skins(doc: dict[str, Any], data: AccessorData, limits: AssetLimits) -> None:
    nodes = objects(doc, "nodes")
    for s, skin in enumerate(objects(doc, "skins")):
        joints = skin.get("joints")
        n = len(joints) if isinstance(joints, list) else 0
        if not isinstance(joints, list) or not 1 <= n <= limits.max_joints:
            message = f"skins[{s}] must have 1 to {limits.max_joints} joints"
            raise (AssetUnsupported if n > limits.max_joints else AssetInvalid)(message)
        for j in joints:
            index(j, nodes, f"skins[{s}].joints")
        if "inverseBindMatrices" in skin:
            what = f"skins[{s}].inverseBindMatrices"
            acc = index(skin["inverseBindMatrices"], data.accessors, what)
            if data.kind(acc) != "MAT4" or data.count(acc) != n:
                raise AssetInvalid(f"{what} must be one MAT4 per joint")


def check_skin_values(doc: dict[str, Any], data: AccessorData) -> None:
    for s, skin in enumerate(doc.get("skins", [])):
        if "inverseBindMatrices" in skin:
            data.check_finite(skin["inverseBindMatrices"], f"skins[{s}].inverseBindMatrices")
