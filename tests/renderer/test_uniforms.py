"""Uniform uploads: numpy arrays reach GLSL in the layout the shader declares.

A 9×3 table of SH coefficients once went up transposed (every 2-D array was treated as a
matrix), which tinted every lit surface yellow; read the values back through a shader.
"""

from __future__ import annotations

import moderngl
import numpy as np

from renderer.gl_context import get_context, release, set_uniform

VERTEX = """#version 330
void main() { gl_Position = vec4(0.0, 0.0, 0.0, 1.0); gl_PointSize = 1.0; }
"""
FRAGMENT = """#version 330
uniform vec3 u_table[9];
uniform mat3 u_m3;
uniform mat4 u_m4;
uniform int u_index;
out vec4 colour;
void main() {
    if (u_index < 9) colour = vec4(u_table[u_index], 1.0);
    else if (u_index < 12) colour = vec4(u_m3[u_index - 9], 1.0);  // column u_index - 9
    else colour = u_m4[u_index - 12];
}
"""


def _read_back(values: dict[str, np.ndarray]) -> list[np.ndarray]:
    ctx = get_context()
    program = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
    target = ctx.texture((1, 1), 4, dtype="f4")
    fbo = ctx.framebuffer(color_attachments=[target])
    vao = ctx.vertex_array(program, [])
    for name, value in values.items():
        set_uniform(program, name, value)
    out = []
    ctx.enable_only(moderngl.PROGRAM_POINT_SIZE)
    for index in range(16):
        fbo.use()
        fbo.clear()
        set_uniform(program, "u_index", index)
        vao.render(moderngl.POINTS, vertices=1)
        out.append(np.frombuffer(fbo.read(components=4, dtype="f4"), dtype=np.float32))
    release(vao, fbo, target, program)
    return out


def test_vector_array_rows_arrive_in_order_and_matrices_by_column() -> None:
    table = np.arange(27, dtype=np.float32).reshape(9, 3) / 27.0
    m3 = np.arange(9, dtype=np.float32).reshape(3, 3) / 9.0
    m4 = np.arange(16, dtype=np.float32).reshape(4, 4) / 16.0
    got = _read_back({"u_table": table, "u_m3": m3, "u_m4": m4})
    for k in range(9):
        np.testing.assert_allclose(got[k][:3], table[k], atol=1e-6)
    for column in range(3):  # GLSL m[c] is column c of the numpy matrix
        np.testing.assert_allclose(got[9 + column][:3], m3[:, column], atol=1e-6)
    for column in range(4):
        np.testing.assert_allclose(got[12 + column], m4[:, column], atol=1e-6)
