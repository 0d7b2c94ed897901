"""What a glTF document means, checked once for the upload and for the renderer's loader.

:func:`check_model` runs every rule over a :class:`~exchange.gltf.GltfContainer` in an
order that refuses a model by its declarations before any value is read: the extensions
it requires, its nodes, what its meshes and instances would cost (triangles, vertices,
nodes), the accessors' budget, then the meaning of each part — primitives, compressed
views, instancing, skins, animations, materials, lights, material variants, texture
headers — then the values the rules need (finite floats, indices inside their vertices),
and last whether the scene draws a triangle at all. The upload reads those values from
the stored bytes in bounded chunks; the renderer hands its decoded views (``views``), so
the meshopt data it decodes is held to the same rules.
"""

from __future__ import annotations

from exchange.accessor_data import AccessorData, ViewBlobs
from exchange.animations import check_animation_values, check_animations
from exchange.extensions import check_extension_lists
from exchange.gltf import GltfContainer
from exchange.instancing import check_instance_values, check_instances, mesh_copies
from exchange.lights import check_lights
from exchange.limits import AssetLimits
from exchange.materials import check_materials
from exchange.meshes import (
    check_drawable,
    check_primitives,
    check_size,
    check_vertex_values,
    mesh_counts,
)
from exchange.meshopt import check_compressed_views
from exchange.nodes import check_nodes
from exchange.scene_graph import check_node_graph
from exchange.skins import check_skin_values, check_skins
from exchange.textures import check_textures
from exchange.variants import check_variants


def check_model(
    container: GltfContainer,
    limits: AssetLimits,
    supported: frozenset[str],
    views: ViewBlobs | None = None,
) -> AccessorData:
    """Refuse (:class:`~exchange.errors.AssetInvalid` and its kinds) a model that breaks a
    rule; ``supported``: the extensions the renderer draws. Returns the accessors' data,
    whose layouts the renderer reads by."""
    doc = container.document
    check_extension_lists(doc, supported)
    check_node_graph(doc, limits)
    check_nodes(doc)
    counts = mesh_counts(doc, limits)
    check_size(doc, counts, mesh_copies(doc, limits), limits)
    data = AccessorData(container, limits, views)
    check_compressed_views(container)
    check_primitives(doc, data)
    check_instances(doc, data)
    check_skins(doc, data, limits)
    check_animations(doc, data)
    check_materials(doc)
    check_lights(doc)
    check_variants(doc)
    check_textures(container, limits)
    data.check_sparse_indices()
    check_vertex_values(doc, data)
    check_instance_values(doc, data)
    check_skin_values(doc, data)
    check_animation_values(doc, data)
    check_drawable(doc, counts)
    return data
