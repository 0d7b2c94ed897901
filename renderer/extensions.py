"""The glTF extensions meshfarm draws, in one set (no imports: cheap for any caller).

The loader warns about any other extension a file uses and refuses a file that
*requires* one outside this set, naming it; the upload check reads the same set (through
``workers``), so a model is refused at upload rather than failing at its first render.
"""

from __future__ import annotations

SUPPORTED_EXTENSIONS = frozenset(
    {
        "EXT_mesh_gpu_instancing",
        "EXT_meshopt_compression",
        "EXT_texture_webp",
        "KHR_draco_mesh_compression",
        "KHR_lights_punctual",
        "KHR_materials_anisotropy",
        "KHR_materials_clearcoat",
        "KHR_materials_dispersion",
        "KHR_materials_emissive_strength",
        "KHR_materials_ior",
        "KHR_materials_iridescence",
        "KHR_materials_pbrSpecularGlossiness",
        "KHR_materials_sheen",
        "KHR_materials_specular",
        "KHR_materials_transmission",
        "KHR_materials_unlit",
        "KHR_materials_variants",
        "KHR_materials_volume",
        "KHR_mesh_quantization",
        "KHR_meshopt_compression",
        "KHR_node_visibility",
        "KHR_texture_basisu",
        "KHR_texture_transform",
    }
)
