"""The GLSL preprocessor: includes resolved, defines injected, every stage compiles."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from renderer.gl_context import get_program
from renderer.shader_source import compose, describe_compile_error, include_map


def test_includes_are_resolved_with_line_markers() -> None:
    src = compose("pbr.frag", {"HAS_UV0": True, "MORPH_TARGETS": 2})
    assert src.startswith("#version 330 core\n#define HAS_UV0\n#define MORPH_TARGETS 2\n")
    assert "#include" not in src
    assert "vec3 pbr_neutral" in src and "float d_ggx" in src
    files = include_map("pbr.frag")
    assert files[0] == "pbr.frag" and "brdf.glsl" in files and "textures.glsl" in files
    assert f"#line 1 {files.index('brdf.glsl')}" in src


def test_equal_define_sets_give_identical_sources() -> None:
    assert compose("primitive.vert", {"A": True, "B": 1}) == compose(
        "primitive.vert", {"B": 1, "A": True}
    )


def test_compile_errors_name_the_file() -> None:
    files = include_map("pbr.frag")
    idx = files.index("ibl.glsl")
    assert "ibl.glsl:12" in describe_compile_error("pbr.frag", f"{idx}:12(3): error: boom")


VARIANTS = [
    ("primitive.vert", "pbr.frag", {}),
    (
        "primitive.vert",
        "pbr.frag",
        {
            "HAS_UV0": True,
            "HAS_UV1": True,
            "HAS_COLOR0": True,
            "HAS_SKIN": True,
            "MORPH_TARGETS": 3,
            "HAS_BASE_COLOR_MAP": True,
            "BASE_COLOR_UV": 0,
            "HAS_METALLIC_ROUGHNESS_MAP": True,
            "METALLIC_ROUGHNESS_UV": 0,
            "HAS_NORMAL_MAP": True,
            "NORMAL_UV": 1,
            "HAS_TANGENT": True,
            "HAS_OCCLUSION_MAP": True,
            "OCCLUSION_UV": 0,
            "HAS_EMISSIVE_MAP": True,
            "EMISSIVE_UV": 1,
            "ALPHA_MASK": True,
        },
    ),
    (
        "primitive.vert",
        "pbr.frag",
        {"HAS_UV0": True, "HAS_NORMAL_MAP": True, "NORMAL_UV": 0, "LAYERS": True},
    ),
    ("primitive.vert", "pbr.frag", {"UNLIT": True, "ALPHA_BLEND": True}),
    (
        "primitive.vert",
        "pbr.frag",
        {
            "HAS_UV0": True,
            "HAS_METALLIC_ROUGHNESS_MAP": True,
            "METALLIC_ROUGHNESS_UV": 0,
            "SPECULAR_GLOSSINESS": True,
        },
    ),
    (
        "primitive.vert",
        "depth_only.frag",
        {"HAS_UV0": True, "HAS_BASE_COLOR_MAP": True, "BASE_COLOR_UV": 0, "ALPHA_MASK": True},
    ),
    ("ground.vert", "ground.frag", {}),
    ("fullscreen.vert", "resolve.frag", {}),
    ("fullscreen.vert", "ibl_prefilter.frag", {"SAMPLES": "256u"}),
    ("fullscreen.vert", "environment_background.frag", {}),
    ("fullscreen.vert", "brdf_lut.frag", {}),
    ("fullscreen.vert", "ground_shadow.frag", {}),
    ("primitive.vert", "pbr.frag", {"REFLECTION": True, "ALPHA_BLEND": True, "HAS_COLOR0": True}),
]
"""Stage pairs and define sets covering every feature switch."""


@pytest.mark.parametrize(("vertex", "fragment", "defines"), VARIANTS)
def test_every_stage_compiles(vertex: str, fragment: str, defines: dict[str, object]) -> None:
    assert get_program(vertex, fragment, defines) is not None


@pytest.mark.skipif(shutil.which("glslangValidator") is None, reason="glslang-tools not installed")
@pytest.mark.parametrize(("vertex", "fragment", "defines"), VARIANTS)
def test_stages_pass_the_reference_compiler(
    vertex: str, fragment: str, defines: dict[str, object], tmp_path: Path
) -> None:
    """Mesa is lenient; Khronos' glslang holds the sources to GLSL 3.30 core for NVIDIA."""
    for name in (vertex, fragment):
        path = tmp_path / f"stage.{name.rsplit('.', 1)[1]}"
        path.write_text(compose(name, defines))
        result = subprocess.run(["glslangValidator", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
