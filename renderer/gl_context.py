"""The process-wide GL context and the compiled-program cache.

Creating an EGL context costs tens of milliseconds and drivers leak when contexts churn,
so one is made per process on first use and reused by every job. Programs are cached by
(stage files, defines): they are few (one per material feature set) and cheap to keep.
Per-job objects (buffers, textures, framebuffers) are owned and released by the job.
"""

from __future__ import annotations

import threading
from typing import Any

import moderngl
import numpy as np

from renderer.errors import SceneError
from renderer.shader_source import compose, describe_compile_error

_lock = threading.Lock()
_context: moderngl.Context | None = None
_default_framebuffer: moderngl.Framebuffer | None = None
_programs: dict[tuple[str, str, tuple[tuple[str, object], ...]], moderngl.Program] = {}
_egl_device: int | None = None


def use_cuda_device(cuda_device: int) -> int | None:
    """Render on this CUDA GPU (call before the first render in the process).

    Returns the EGL device index chosen, or None when no EGL device is that GPU (Mesa),
    in which case EGL's default device is used.
    """
    global _egl_device
    from renderer.egl_devices import egl_device_for_cuda

    with _lock:
        if _context is not None:
            raise RuntimeError("the GL context already exists; choose the GPU before rendering")
        _egl_device = egl_device_for_cuda(cuda_device)
        return _egl_device


class GLUnavailable(SceneError):
    """No OpenGL 3.3+ context could be created (no EGL driver on this machine)."""


def get_context() -> moderngl.Context:
    """The shared headless context (EGL: Mesa llvmpipe on CPUs, the vendor driver on GPUs)."""
    global _context, _default_framebuffer
    with _lock:
        if _context is None:
            try:
                options: dict[str, Any] = {"require": 330, "backend": "egl"}
                if _egl_device is not None:
                    options["device_index"] = _egl_device
                _context = moderngl.create_standalone_context(**options)
            except Exception as exc:  # moderngl raises plain Exception for driver failures
                raise GLUnavailable(f"cannot create an EGL OpenGL context: {exc}") from None
            # A standalone context has no default framebuffer: park on a 1×1 one.
            _default_framebuffer = _context.framebuffer([_context.renderbuffer((1, 1))])
            _default_framebuffer.use()
        return _context


def release(*objects: object) -> None:
    """Release GL objects after binding the parking framebuffer.

    moderngl re-binds "the current framebuffer" when it creates the next one; if that
    was just released, the driver reports GL_INVALID_OPERATION. Parking first keeps the
    error flag clean.
    """
    if _default_framebuffer is not None:
        _default_framebuffer.use()
    for obj in objects:
        obj.release()  # type: ignore[attr-defined]


def get_program(vertex: str, fragment: str, defines: dict[str, object]) -> moderngl.Program:
    """Compile (once) the program made of shader files ``vertex`` and ``fragment``."""
    key = (vertex, fragment, tuple(sorted(defines.items())))
    program = _programs.get(key)
    if program is None:
        ctx = get_context()
        vs, fs = compose(vertex, defines), compose(fragment, defines)
        try:
            program = ctx.program(vertex_shader=vs, fragment_shader=fs)
        except moderngl.Error as exc:
            text = str(exc)
            head, sep, tail = text.partition("fragment_shader")
            message = describe_compile_error(vertex, head) + (
                sep + describe_compile_error(fragment, tail) if sep else ""
            )
            raise RuntimeError(f"shader {vertex}+{fragment} failed to build: {message}") from exc
        _programs[key] = program
    return program


_MATRIX_TYPES = frozenset((0x8B5A, 0x8B5B, 0x8B5C, 0x8B65, 0x8B66, 0x8B67, 0x8B68, 0x8B69, 0x8B6A))
"""GL_FLOAT_MAT2/3/4 and the non-square GL_FLOAT_MATnxm: the uniform types numpy's rows
must be transposed for."""


def set_uniform(program: moderngl.Program, name: str, value: Any) -> None:
    """Set ``name`` if the compiled program kept it (drivers drop unused uniforms)."""
    if name not in program:
        return
    member = program[name]
    if isinstance(value, np.ndarray) and member.gl_type in _MATRIX_TYPES:  # type: ignore[union-attr]
        # numpy is row-major, GLSL matrices column-major. Only matrices: an array of
        # vectors (vec3 u_env_sh[9]) has the same layout in both and must go as it is.
        member.write(np.ascontiguousarray(value.T, dtype=np.float32).tobytes())  # type: ignore[union-attr]
    elif isinstance(value, np.ndarray):
        member.write(np.ascontiguousarray(value, dtype=np.float32).tobytes())  # type: ignore[union-attr]
    else:
        member.value = value  # type: ignore[union-attr]
