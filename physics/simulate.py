"""A MuJoCo scene around an MJCF package, run headless: MP4, GIF, a log and a verdict.

The package (:mod:`physics.mjcf`) is loaded as an ``MjSpec`` and the scene
(:mod:`physics.sim_scene`) is added to it, so the package's own files stay as they are.
Rendering needs an OpenGL context without a display: :mod:`physics.headless` sets
``MUJOCO_GL=egl`` before MuJoCo is imported (set it yourself, before any ``import
mujoco``, to pick another backend). Only the visual geoms (group 2) are drawn unless
``show_colliders`` asks for the collision hulls (group 3) instead. The verdict is
:mod:`physics.sim_verdict`'s.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from encoders.specs import FPS, even, h264
from encoders.video import VideoWriter
from physics.headless import mujoco
from physics.mjcf import compiled
from physics.sim_scene import (
    BOUNCE_THRESHOLD,
    SCENES,
    BounceThreshold,
    Camera,
    Shape,
    build_scene,
    impact_speed,
)
from physics.sim_verdict import SETTLED_WINDOW, Monitor, Verdict

SCENE_SECONDS = {"demo": 6.0, "drop": 4.0}
"""The video's least length: a box's drop settles within 1 s, the demo's tumble within 5."""
SETTLE_SECONDS = 12.0
"""The most a scene of its own length runs on, filmed, until the body has been still for
:data:`physics.sim_verdict.SETTLED_WINDOW`: a 13 m panel that lands upright topples over
and stops at 4.3 s, a helmet rocks on its shell until 7.4 s."""
GIF_WIDTH = 320
GIF_FPS = 10
"""A third of the video's frames, 100 ms each (GIF counts time in centiseconds)."""
GIF_COLOURS = 128
MP4_CRF = 20


@dataclass(frozen=True)
class Simulation:
    scene: str
    mp4: Path
    gif: Path
    log: Path
    frames: int
    sim_seconds: float
    steps: int
    wall_seconds: float
    """Building, stepping, rendering and encoding, s."""
    render_seconds: float
    encode_seconds: float
    verdict: Verdict


def simulate(
    xml: Path,
    scene: str,
    out_dir: Path,
    *,
    width: int = 640,
    height: int = 480,
    fps: int = FPS,
    seconds: float | None = None,
    max_seconds: float | None = None,
    shadows: bool = False,
    show_colliders: bool = False,
) -> Simulation:
    """Run ``scene`` on the package ``xml`` and write ``sim.mp4``, ``sim.gif`` and
    ``sim_log.json`` into ``out_dir``. The MP4 plays at the encoders' rate, so ``fps``
    must be :data:`encoders.specs.FPS`. It runs ``seconds`` (the scene's,
    :data:`SCENE_SECONDS`, by default), then on, filmed, until the body is still or
    ``max_seconds`` (:data:`SETTLE_SECONDS` with the scene's length, else ``seconds``)
    have passed, so the video shows what the verdict judges. ``shadows`` cast the sun's
    shadows, at a cost on a CPU rasteriser (llvmpipe, 640×480, the Duck: 126 ms a frame
    against 20 without). Raises
    :class:`physics.mjcf.MjcfRejected` for a package MuJoCo refuses."""
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene!r}; scenes: {', '.join(SCENES)}")
    if fps != FPS:
        raise ValueError(f"the video encoders write {FPS} frames a second, not {fps}")
    if max_seconds is None:
        max_seconds = SETTLE_SECONDS if seconds is None else seconds
    seconds = SCENE_SECONDS[scene] if seconds is None else seconds
    max_seconds = max(max_seconds, seconds)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    package, _ = compiled(xml)
    shape = Shape.of(package)
    spec = mujoco.MjSpec.from_file(str(xml))
    parameters = build_scene(spec, scene, shape, width, height, shadows)
    parameters.update(
        seconds=seconds,
        max_seconds=max_seconds,
        fps=fps,
        width=width,
        height=height,
        shadows=shadows,
    )
    model = spec.compile()
    data = mujoco.MjData(model)
    body = model.body(shape.body_name).id
    if "push_velocity" in parameters:
        dof = model.jnt_dofadr[model.body_jntadr[body]]
        data.qvel[dof : dof + 3] = parameters["push_velocity"]
    mujoco.mj_forward(model, data)
    parameters["timestep"] = model.opt.timestep

    camera = Camera(scene, shape, data.xipos[body], seconds)
    options = mujoco.MjvOption()
    options.geomgroup[:] = [1, 0, 0, 0, 0, 0]
    options.geomgroup[3 if show_colliders else 2] = 1
    renderer = mujoco.Renderer(model, height, width)
    writer = VideoWriter(
        h264("sim", "sim.mp4", even(width), even(height), MP4_CRF), out_dir / "sim.mp4"
    )
    gif_frames: list[Image.Image] = []
    monitor = Monitor(model, data, body, shape)
    threshold = BOUNCE_THRESHOLD * impact_speed(parameters, shape)
    parameters["bounce_threshold"] = threshold
    bounce = BounceThreshold(model, monitor.geoms, threshold)

    def step() -> None:
        mujoco.mj_step(model, data)
        monitor.step()
        bounce.update(data.ncon > 0, monitor.normal_speed)

    frames: list[dict[str, object]] = []
    render_s = encode_s = 0.0
    n_frames, most = round(seconds * fps), round(max_seconds * fps)
    k = 0
    try:
        while k < n_frames or (
            k < most and monitor.healthy and monitor.still_for < SETTLED_WINDOW - 1e-9
        ):
            while data.time < k / fps - 1e-9 and monitor.healthy:
                step()
            frames.append(monitor.sample())
            t0 = time.perf_counter()
            renderer.update_scene(data, camera.at(data.time, data.xipos[body]), options)
            pixels = renderer.render()
            t1 = time.perf_counter()
            writer.write(pixels)
            if k % (fps // GIF_FPS) == 0:
                gif_frames.append(_gif_frame(pixels))
            encode_s += time.perf_counter() - t1
            render_s += t1 - t0
            k += 1
        while data.time < k / fps - 1e-9 and monitor.healthy:  # on to the next frame's time
            step()
        t1 = time.perf_counter()
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        renderer.close()
    gif = out_dir / "sim.gif"
    _write_gif(gif_frames, gif)
    encode_s += time.perf_counter() - t1
    verdict = monitor.verdict()
    log = out_dir / "sim_log.json"
    log.write_text(
        json.dumps(
            {
                "scene": scene,
                "parameters": parameters,
                "verdict": asdict(verdict) | {"ok": verdict.ok},
                "frames": frames,
            },
            indent=1,
        )
    )
    return Simulation(
        scene,
        out_dir / "sim.mp4",
        gif,
        log,
        len(frames),
        float(data.time),
        monitor.steps,
        time.perf_counter() - started,
        render_s,
        encode_s,
        verdict,
    )


def _gif_frame(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    height = even(GIF_WIDTH * image.height / image.width)
    return image.resize((GIF_WIDTH, height), Image.Resampling.LANCZOS)


def _write_gif(frames: list[Image.Image], path: Path) -> None:
    """One palette for every frame, taken from the first, middle and last (no flicker, and
    a smaller file than a palette per frame); no dithering, which would only add noise."""
    if not frames:
        raise ValueError("no frames to write")
    picks = [frames[0], frames[len(frames) // 2], frames[-1]]
    strip = Image.new("RGB", (frames[0].width, frames[0].height * len(picks)))
    for i, f in enumerate(picks):
        strip.paste(f, (0, i * f.height))
    palette = strip.quantize(GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    indexed = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    tmp = path.with_name(f".{path.name}.part")
    indexed[0].save(
        tmp,
        "GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=1000 // GIF_FPS,
        loop=0,
        optimize=True,
    )
    tmp.replace(path)
