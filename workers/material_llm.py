"""A physics-material provider that asks a language model: any endpoint that speaks
OpenAI's chat-completions contract (OpenAI itself, vLLM, Ollama, llama.cpp's server).

The model is told the asset's materials (names, base colours, metallic and roughness
factors, which maps they have) and its size in metres, and asked for a JSON object
``{"material": <a kind of physics.materials.PROPERTIES>, "reason": ...}``. A job must not
fail because a model is down or rambles, so any failure (network, HTTP status, timeout,
an answer that is not that object, a kind not in the table) falls back to the heuristic,
whose material then says why in its ``reason``. The standard library's urllib does the
HTTP: the workers know no HTTP client library.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from exchange.asset.model import Asset
from exchange.asset.transform import bounds, normalised
from physics.materials import PROPERTIES, HeuristicProvider, physics_material
from physics.model import PhysicsMaterial

SYSTEM_PROMPT = (
    "You identify what a 3D asset is physically made of, for a physics simulation. "
    "Answer with one JSON object only: "
    '{"material": <one of: %s>, "reason": <one short sentence>}.'
)
MAX_MATERIALS = 32
"""Materials described to the model at most (an asset of hundreds says no more)."""


@dataclass
class OpenAICompatibleProvider:
    name: str
    base_url: str
    """The API's root, e.g. ``https://api.openai.com/v1``."""
    api_key: str | None
    model: str
    timeout_s: float

    def identify(self, asset: Asset) -> PhysicsMaterial:
        try:
            kind, reason = self._ask(asset)
        except Exception as exc:
            fallback = HeuristicProvider().identify(asset)
            why = f"{type(exc).__name__}: {exc}"
            return physics_material(
                fallback.kind,
                fallback.provider,
                f"{self.name} gave no usable answer ({why}); {fallback.reason}",
            )
        return physics_material(kind, self.name, f"{self.model}: {reason}")

    def _ask(self, asset: Asset) -> tuple[str, str]:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT % ", ".join(PROPERTIES)},
                {"role": "user", "content": json.dumps(description(asset))},
            ],
            "response_format": {"type": "json_object"},
            "temperature": 0,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base_url.rstrip("/") + "/chat/completions",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            reply = json.loads(response.read())
        content = reply["choices"][0]["message"]["content"]
        answer = json.loads(_unfenced(content))
        kind = str(answer["material"]).strip().lower()
        if kind not in PROPERTIES:
            raise ValueError(f"'{kind}' is not a known material")
        return kind, str(answer.get("reason") or "no reason given")


def description(asset: Asset) -> dict[str, Any]:
    """What the model is told: the materials and the size, nothing it cannot use."""
    box = bounds(normalised(asset))
    size = [] if box is None else [round(float(v), 4) for v in box[1] - box[0]]
    materials = [
        {
            "name": m.name,
            "base_color_rgba": [round(c, 3) for c in m.base_color],
            "metallic": round(m.metallic, 3),
            "roughness": round(m.roughness, 3),
            "maps": [
                label
                for label, texture in (
                    ("base_color", m.base_color_texture),
                    ("metallic_roughness", m.metallic_roughness_texture),
                    ("normal", m.normal_texture),
                )
                if texture is not None
            ],
        }
        for m in asset.materials[:MAX_MATERIALS]
    ]
    return {"size_m": size, "materials": materials}


def _unfenced(content: str) -> str:
    """The JSON inside a Markdown code fence, which some models add regardless."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text
