"""Materials and the textures they name: every field the renderer reads, of the right kind.

Each material field the renderer draws — the core metal-rough model and the KHR_materials_*
extensions it supports — is in :data:`FIELDS` with its kind: a number, a number with a
bound (an ``ior`` or ``dispersion`` below 0 used to pass the upload and fail the render),
an array of three or four numbers, or a texture reference (an index into ``textures``,
a ``texCoord``, a ``scale`` or ``strength``, a KHR_texture_transform). A refusal names the
field as ``materials[m].<field>``. Textures name samplers that exist; the images they
draw from are :func:`exchange.textures.used_images`'.
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetInvalid
from exchange.extensions import extension, extensions
from exchange.json_fields import index, integer, member, number, numbers, objects

PBR = "pbrMetallicRoughness"
MATERIAL = ""
"""The material object itself (rather than ``pbrMetallicRoughness`` or an extension)."""
NUMBER, AT_LEAST_0, ABOVE_0, VEC3, VEC4, TEXTURE = "n", "n>=0", "n>0", "3", "4", "t"

FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    PBR: (
        ("baseColorFactor", VEC4),
        ("metallicFactor", NUMBER),
        ("roughnessFactor", NUMBER),
        ("baseColorTexture", TEXTURE),
        ("metallicRoughnessTexture", TEXTURE),
    ),
    MATERIAL: (
        ("emissiveFactor", VEC3),
        ("alphaCutoff", NUMBER),
        ("normalTexture", TEXTURE),
        ("occlusionTexture", TEXTURE),
        ("emissiveTexture", TEXTURE),
    ),
    "KHR_materials_emissive_strength": (("emissiveStrength", NUMBER),),
    "KHR_materials_pbrSpecularGlossiness": (
        ("diffuseFactor", VEC4),
        ("specularFactor", VEC3),
        ("glossinessFactor", NUMBER),
        ("diffuseTexture", TEXTURE),
        ("specularGlossinessTexture", TEXTURE),
    ),
    "KHR_materials_ior": (("ior", AT_LEAST_0),),
    "KHR_materials_specular": (
        ("specularFactor", NUMBER),
        ("specularTexture", TEXTURE),
        ("specularColorFactor", VEC3),
        ("specularColorTexture", TEXTURE),
    ),
    "KHR_materials_clearcoat": (
        ("clearcoatFactor", NUMBER),
        ("clearcoatTexture", TEXTURE),
        ("clearcoatRoughnessFactor", NUMBER),
        ("clearcoatRoughnessTexture", TEXTURE),
        ("clearcoatNormalTexture", TEXTURE),
    ),
    "KHR_materials_sheen": (
        ("sheenColorFactor", VEC3),
        ("sheenColorTexture", TEXTURE),
        ("sheenRoughnessFactor", NUMBER),
        ("sheenRoughnessTexture", TEXTURE),
    ),
    "KHR_materials_transmission": (
        ("transmissionFactor", NUMBER),
        ("transmissionTexture", TEXTURE),
    ),
    "KHR_materials_volume": (
        ("thicknessFactor", AT_LEAST_0),
        ("thicknessTexture", TEXTURE),
        ("attenuationColor", VEC3),
        ("attenuationDistance", ABOVE_0),
    ),
    "KHR_materials_dispersion": (("dispersion", AT_LEAST_0),),
    "KHR_materials_anisotropy": (
        ("anisotropyStrength", NUMBER),
        ("anisotropyRotation", NUMBER),
        ("anisotropyTexture", TEXTURE),
    ),
    "KHR_materials_iridescence": (
        ("iridescenceFactor", NUMBER),
        ("iridescenceTexture", TEXTURE),
        ("iridescenceIor", ABOVE_0),
        ("iridescenceThicknessMinimum", AT_LEAST_0),
        ("iridescenceThicknessMaximum", AT_LEAST_0),
        ("iridescenceThicknessTexture", TEXTURE),
    ),
}
ALPHA_MODES = ("OPAQUE", "MASK", "BLEND")
TRANSFORM = "KHR_texture_transform"


def check_materials(doc: dict[str, Any]) -> None:
    _check_samplers(doc)
    textures = objects(doc, "textures")
    for m, material in enumerate(objects(doc, "materials")):
        what = f"materials[{m}]"
        if material.get("alphaMode", "OPAQUE") not in ALPHA_MODES:
            raise AssetInvalid(f"{what}.alphaMode {material['alphaMode']!r} is not valid")
        extensions(material, what)
        for where, fields in FIELDS.items():
            obj = _holder(material, where, what)
            for key, kind in fields:
                if key in obj:
                    _check_field(obj[key], kind, f"{what}.{key}", textures)


def _holder(material: dict[str, Any], where: str, what: str) -> dict[str, Any]:
    """The object holding the fields of ``where`` (``{}`` for an extension not used)."""
    if where == MATERIAL:
        return material
    if where == PBR:
        return member(material, PBR, what)
    return extension(material, where, what) or {}


def _check_field(value: Any, kind: str, what: str, textures: list[Any]) -> None:
    if kind == TEXTURE:
        _check_texture_info(value, what, textures)
    elif kind in (VEC3, VEC4):
        numbers(value, int(kind), what)
    else:
        number(value, what, None if kind == NUMBER else 0, above=kind == ABOVE_0)


def _check_texture_info(info: Any, what: str, textures: list[Any]) -> None:
    if not isinstance(info, dict):
        raise AssetInvalid(f"{what} must be an object")
    index(info.get("index"), textures, f"{what}.index")
    integer(info.get("texCoord", 0), f"{what}.texCoord")
    for factor in ("scale", "strength"):
        if factor in info:
            number(info[factor], f"{what}.{factor}")
    transform = extension(info, TRANSFORM, what)
    if transform is not None:
        at = f"{what}.extensions.{TRANSFORM}"
        for key in ("offset", "scale"):
            if key in transform:
                numbers(transform[key], 2, f"{at}.{key}")
        number(transform.get("rotation", 0), f"{at}.rotation")
        integer(transform.get("texCoord", 0), f"{at}.texCoord")


def _check_samplers(doc: dict[str, Any]) -> None:
    samplers = objects(doc, "samplers")
    for t, texture in enumerate(objects(doc, "textures")):
        extensions(texture, f"textures[{t}]")
        if "sampler" in texture:
            index(texture["sampler"], samplers, f"textures[{t}].sampler")
