"""Where a frame's time goes: every pass of a video render timed and its fragments counted.

    .venv/bin/python bench/render_profile.py [--frames N] [--tier share] [MODEL.glb …]

Each pass of :class:`renderer.Renderer` is wrapped so that the GPU queue is drained
(``ctx.finish()``) before and after it, and its wall time and the samples that passed
its depth test (``GL_SAMPLES_PASSED``) are recorded. On llvmpipe the cost is fragments, so
the count says why a pass costs what it does. Draining the queue removes the overlap of
read-back with the next frame, so the per-pass sum is a little above a frame's time in
``bench/render_bench.py``; the shares are what matter.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import moderngl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import renderer.frame_renderer as fr  # noqa: E402
from renderer import Renderer, load_scene  # noqa: E402
from workers.render_settings import render_settings  # noqa: E402
from workers.specs import RenderSpec  # noqa: E402

SHARED = ROOT.parent / "shared" / "assets" / "glb"


class Profile:
    """Seconds and samples per pass name, one entry per frame drawn."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.samples: dict[str, list[int]] = defaultdict(list)
        self._query = ctx.query(samples=True)
        self._depth = 0

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        outermost = self._depth == 0
        self._depth += 1
        self.ctx.finish()
        started = time.perf_counter()
        if outermost:
            with self._query:
                yield
        else:
            yield
        self.ctx.finish()
        self.seconds[name].append(time.perf_counter() - started)
        if outermost:
            self.samples[name].append(self._query.samples)
        self._depth -= 1

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return fn(*args, **kwargs)

        return wrapped


def instrument(renderer: Renderer, profile: Profile) -> None:
    """Wrap the renderer's passes (and draw_meshes by pass kind) with ``profile``."""
    draw = fr.draw_meshes

    def draw_meshes(gpu: Any, pose: Any, kind: str, *args: Any, **kwargs: Any) -> None:
        name = "prepass" if kind == "depth" and kwargs.get("opaque_only") else kind
        name = "shadow map" if name == "depth" else name
        with profile.timed(name):
            draw(gpu, pose, kind, *args, **kwargs)

    fr.draw_meshes = draw_meshes
    r: Any = renderer
    r._bake_ground_shadow = profile.wrap("ground shadow bake", r._bake_ground_shadow)
    r._draw_ground = profile.wrap("ground catcher", r._draw_ground)
    target = r._target
    target.begin = profile.wrap("clear", target.begin)
    target.resolve = profile.wrap("resolve", target.resolve)
    if r._env_background is not None:
        r._env_background.draw = profile.wrap("environment background", r._env_background.draw)
    r._collect = profile.wrap("read-back", r._collect)


def profile_model(path: Path, tier: str, frames: int) -> None:
    scene = load_scene(path)
    settings = render_settings(RenderSpec(model_id="bench", tier=tier, length=30))
    with Renderer(settings) as renderer:
        it = renderer.frames(scene)
        next(it)
        next(it)  # warm: programs, IBL, first read-back
        profile = Profile(renderer.ctx)
        instrument(renderer, profile)
        walls = []
        for _ in range(frames):
            started = time.perf_counter()
            next(it)
            walls.append(time.perf_counter() - started)
    frame = statistics.median(walls)
    w, h = settings.width, settings.height
    size = f"{w}x{h} (internal {2 * w}x{2 * h})"
    print(f"\n{path.name}, {tier}, output {size}: {frame * 1000:.1f} ms per frame (median)")
    print(f"{'pass':24} {'ms (median)':>12} {'share':>7} {'samples/frame':>14}")
    total = sum(statistics.median(v) for v in profile.seconds.values())
    for name, values in sorted(profile.seconds.items(), key=lambda kv: -statistics.median(kv[1])):
        ms = statistics.median(values) * 1000
        samples = profile.samples.get(name)
        count = f"{statistics.median(samples):14,.0f}" if samples else f"{'':14}"
        print(f"{name:24} {ms:12.2f} {ms / (total * 1000):7.1%} {count}")
    print(f"{'sum of passes':24} {total * 1000:12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["DamagedHelmet.glb", "Duck.glb"])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--tier", default="share")
    args = parser.parse_args()
    for name in args.models:
        path = Path(name) if Path(name).exists() else SHARED / name
        if not path.exists():
            path = ROOT / "tests" / "assets" / name
        profile_model(path, args.tier, args.frames)


if __name__ == "__main__":
    main()
