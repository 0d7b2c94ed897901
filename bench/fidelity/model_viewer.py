"""<model-viewer> in headless Chromium as a fidelity peer (run with bench/.venv-bpy).

    bench/.venv-bpy/bin/python bench/fidelity/model_viewer.py '[{"scenario": {...},
        "outputFile": "a.png"}, ...]'

Set up as the generator's own harness sets it (test/renderers/model-viewer/index.html):
``tone-mapping="aces"``, the scenario's HDR as ``environment-image`` (and skybox when
``renderSkybox``), the orbit, target and field of view pinned by equal min/max limits,
a transparent background, a viewport of the scenario's dimensions at device pixel ratio
2 with ``minimumRenderScale = 1``, and the screenshot taken three animation frames after
``poster-dismissed``. Differences: Playwright drives Debian's Chromium (WebGL 2 on
SwiftShader, the CPU) instead of Puppeteer's browser, and the page, the model-viewer
bundle (npm ``@google/model-viewer``, installed by ``make bench-fidelity`` under
``bench/.model-viewer``), the model and the HDR are served from a loopback HTTP server
this script starts. Prints one JSON line per scenario: seconds taken or the error.
"""

from __future__ import annotations

import contextlib
import html
import http.server
import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "bench/.model-viewer/node_modules"
BUNDLE = NODE_MODULES / "@google/model-viewer/dist/model-viewer.min.js"
THREE_LIBS = NODE_MODULES / "three/examples/jsm/libs"
MESHOPT_STUB = b"/* model-viewer bundles meshoptimizer's decoder; it only awaits this script */\n"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-gpu-sandbox",
]
TIMEOUT_S = 240

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<style>body {{ margin: 0; }} model-viewer {{ --progress-bar-color: transparent;
  width: {width}px; height: {height}px; background-color: rgba(255,255,255,0); }}</style>
<script type="module" src="/model-viewer.min.js"></script>
</head><body>
<model-viewer id="mv" environment-image="{hdr}" {skybox}
  tone-mapping="aces" interaction-prompt="none" shadow-intensity="0"
  camera-orbit="{theta}deg {phi}deg {radius}m" min-camera-orbit="auto auto {radius}m"
  max-camera-orbit="auto auto {radius}m" camera-target="{tx}m {ty}m {tz}m"
  field-of-view="{fov}deg" min-field-of-view="{fov}deg" max-field-of-view="{fov}deg">
</model-viewer>
<script type="module">
  await customElements.whenDefined("model-viewer");
  const ModelViewer = customElements.get("model-viewer");
  ModelViewer.minimumRenderScale = 1;
  ModelViewer.dracoDecoderLocation = "/draco/";
  ModelViewer.ktx2TranscoderLocation = "/basis/";
  ModelViewer.meshoptDecoderLocation = "/meshopt_decoder.js";
  const mv = document.getElementById("mv");
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  mv.addEventListener("error", (e) => {{ window.renderError = String(e.detail?.type || e); }});
  mv.addEventListener("poster-dismissed", async () => {{
    await frame(); await frame(); await frame();
    window.renderReady = true;
  }}, {{ once: true }});
  mv.src = {model_js};
</script>
</body></html>
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves ``/page.html``, the bundle and the files of the current scenario only."""

    routes: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        clean = unquote(path.split("?", 1)[0])
        for prefix, target in self.routes.items():
            if clean == prefix or (prefix.endswith("/") and clean.startswith(prefix)):
                rest = clean[len(prefix) :] if prefix.endswith("/") else ""
                resolved = (target / rest).resolve() if rest else target
                if target.is_dir() and not resolved.is_relative_to(target):
                    break
                return str(resolved)
        return str(ROOT / "nonexistent")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def _page(scenario: dict, model_url: str, hdr_url: str) -> str:
    dims, target, orbit = scenario["dimensions"], scenario["target"], scenario["orbit"]
    skybox = f'skybox-image="{html.escape(hdr_url)}"' if scenario.get("renderSkybox") else ""
    return PAGE.format(
        width=int(dims["width"]),
        height=int(dims["height"]),
        model_js=json.dumps(model_url),
        hdr=html.escape(hdr_url),
        skybox=skybox,
        theta=float(orbit.get("theta", 0)),
        phi=float(orbit.get("phi", 90)),
        radius=float(orbit.get("radius", 1)),
        tx=float(target.get("x", 0)),
        ty=float(target.get("y", 0)),
        tz=float(target.get("z", 0)),
        fov=float(scenario.get("verticalFoV", 45)),
    )


def render_all(configs: list[dict], workdir: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is not installed (make bench-fidelity installs it)")
    if not BUNDLE.exists():
        raise SystemExit(f"{BUNDLE} missing (make bench-fidelity installs it)")
    results = []
    with _server() as port, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for config in configs:
                results.append(_render_one(browser, port, config, workdir))
        finally:
            browser.close()
    return results


def _render_one(browser: object, port: int, config: dict, workdir: Path) -> dict:
    scenario = config["scenario"]
    model, hdr = Path(scenario["model"]).resolve(), Path(scenario["lighting"]).resolve()
    page_file = workdir / "page.html"
    page_file.write_text(_page(scenario, f"/model/{model.name}", f"/env/{hdr.name}"))
    (workdir / "meshopt_decoder.js").write_bytes(MESHOPT_STUB)
    _Handler.routes = {
        "/page.html": page_file,
        "/model-viewer.min.js": BUNDLE,
        "/meshopt_decoder.js": workdir / "meshopt_decoder.js",
        "/draco/": THREE_LIBS / "draco/gltf",
        "/basis/": THREE_LIBS / "basis",
        "/model/": model.parent,
        f"/env/{hdr.name}": hdr,
    }
    dims = scenario["dimensions"]
    started = time.monotonic()
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": int(dims["width"]), "height": int(dims["height"])},
        device_scale_factor=2,
    )
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/page.html")
        page.wait_for_function(
            "window.renderReady === true || window.renderError !== undefined",
            timeout=TIMEOUT_S * 1000,
        )
        error = page.evaluate("window.renderError")
        if error:
            return {"error": f"model-viewer: {error}"}
        out = Path(config["outputFile"])
        out.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#mv").screenshot(path=str(out), omit_background=True)
        return {"seconds": round(time.monotonic() - started, 2)}
    except Exception as exc:  # a scenario that fails is reported, the others still run
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    finally:
        context.close()


def main() -> None:
    import tempfile

    configs = json.loads(sys.argv[-1])
    with tempfile.TemporaryDirectory() as tmp:
        for result in render_all(configs, Path(tmp)):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
