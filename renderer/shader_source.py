"""GLSL sources from ``shaders/``: a tiny preprocessor for ``#include`` and ``#define``.

Shaders are real files (one per stage, one include per concern) shipped as package data
of the ``shaders`` package. Features are switched by ``#define``s injected after the
``#version`` line, so one source serves every material variant. Each include is wrapped
in ``#line`` markers carrying a file number, and :func:`describe_compile_error` maps those
numbers back to file names, so a compile error names the right file and line.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$')
_VERSION = "#version 330 core"


@cache
def read_shader_file(name: str) -> str:
    """The text of ``shaders/<name>`` (cached: the files never change at run time)."""
    return resources.files("shaders").joinpath(name).read_text(encoding="utf-8")


class _Composer:
    def __init__(self) -> None:
        self.files: list[str] = []

    def expand(self, name: str, stack: tuple[str, ...]) -> list[str]:
        if name in stack:
            raise ValueError(f"circular #include: {' -> '.join((*stack, name))}")
        file_no = len(self.files)
        self.files.append(name)
        out = [f"#line 1 {file_no}"]
        for line_no, line in enumerate(read_shader_file(name).splitlines(), start=1):
            match = _INCLUDE.match(line)
            if match:
                out.extend(self.expand(match.group(1), (*stack, name)))
                out.append(f"#line {line_no + 1} {file_no}")
            else:
                out.append(line)
        return out


def compose(name: str, defines: dict[str, object] | None = None) -> str:
    """Full GLSL for stage file ``name`` with ``defines`` injected and includes resolved.

    A define whose value is ``True`` becomes ``#define NAME``; other values are written
    with ``str()``. Keys are sorted so equal define sets give byte-identical sources
    (the program cache depends on it).
    """
    composer = _Composer()
    body = composer.expand(name, ())
    header = [_VERSION]
    for key in sorted(defines or {}):
        value = (defines or {})[key]
        header.append(f"#define {key}" if value is True else f"#define {key} {value}")
    return "\n".join(header + body) + "\n"


def include_map(name: str) -> list[str]:
    """File names indexed by the ``#line`` file numbers that :func:`compose` emits."""
    composer = _Composer()
    composer.expand(name, ())
    return composer.files


def describe_compile_error(name: str, message: str) -> str:
    """Rewrite ``0(12)``-style locations in a driver message as ``file.glsl:12``."""
    files = include_map(name)

    def repl(m: re.Match[str]) -> str:
        idx = int(m.group(1))
        return f"{files[idx]}:{m.group(2)}" if idx < len(files) else m.group(0)

    return re.sub(r"\b(\d+)[:(](\d+)\)?", repl, message)
