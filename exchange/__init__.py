"""meshfarm's pure asset library: 3D files in, one checked in-memory view of them out.

Today it holds the one glTF reader that the upload check (``broker.ingest``) and the
renderer's loader share — GLB framing (:mod:`~exchange.glb`), bounded JSON
(:mod:`~exchange.json_doc`), buffers, bufferViews and images from data URIs, files or ZIP
members under one set of safe-ZIP rules (:mod:`~exchange.gltf`, :mod:`~exchange.uris`,
:mod:`~exchange.safe_zip`), accessor layouts and their budget (:mod:`~exchange.accessors`),
texture headers and their limits (:mod:`~exchange.textures`) — the rules of what the
document means, run by :func:`~exchange.model_check.check_model`: extensions, the node
graph and nodes, meshes and their cost, instancing, compressed views, skins, animations,
materials, lights, material variants, and the accessor values those rules read
(:mod:`~exchange.accessor_data`) — and the :class:`AssetLimits` both apply. It imports
only the standard library, numpy and Pillow, never the broker, workers or the renderer.
"""

from exchange.blobs import Blob
from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported, ZipTooLarge
from exchange.gltf import GltfContainer, check_file_size, gltf_in_zip, open_asset, read_gltf
from exchange.images import CheckedImage, ImageInvalid, image_header
from exchange.limits import AssetLimits
from exchange.model_check import check_model
from exchange.safe_zip import ZipModel
from exchange.textures import TextureBudget, check_textures
from exchange.uris import Folder, NoFiles

__all__ = [
    "AssetInvalid",
    "AssetLimits",
    "AssetTooLarge",
    "AssetUnsupported",
    "Blob",
    "CheckedImage",
    "Folder",
    "GltfContainer",
    "ImageInvalid",
    "NoFiles",
    "TextureBudget",
    "ZipModel",
    "ZipTooLarge",
    "check_file_size",
    "check_model",
    "check_textures",
    "gltf_in_zip",
    "image_header",
    "open_asset",
    "read_gltf",
]
