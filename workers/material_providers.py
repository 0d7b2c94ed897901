"""Which physics-material identifier a job uses: the heuristic (the default) or, where the
operator configured one (``MESHFARM_MATERIAL_LLM_URL``), an OpenAI-compatible model under
the name ``MESHFARM_MATERIAL_LLM_NAME``. The broker refuses any other name up front."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from physics.materials import MaterialProvider, provider_named
from workers.config import Settings

HEURISTIC_NAMES = ("heuristic", "default")


def known_providers(settings: Settings) -> list[str]:
    configured = [settings.material_llm_name] if settings.material_llm_url else []
    return [*HEURISTIC_NAMES, *configured]


def material_provider(name: str | None, llm: Mapping[str, Any]) -> MaterialProvider:
    """``llm``: the endpoint's settings (url, name, model, key) as the child receives them."""
    from workers.material_llm import OpenAICompatibleProvider

    extra: dict[str, MaterialProvider] = {}
    if llm.get("url"):
        extra[llm["name"]] = OpenAICompatibleProvider(
            name=llm["name"],
            base_url=llm["url"],
            api_key=llm.get("key"),
            model=llm["model"],
            timeout_s=30.0,
        )
    return provider_named(name, extra)
