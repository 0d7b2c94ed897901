"""Where ``meshfarm client login`` keeps the farm's URL and the token: a JSON file only its
owner can read (mode 0600, in a 0700 folder), ``$XDG_CONFIG_HOME/meshfarm/client.json`` or
``~/.config/meshfarm/client.json``. ``MESHFARM_URL`` and ``MESHFARM_TOKEN`` override it
(both set: no file is needed, as in CI)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from meshfarm_client.errors import MeshfarmError

URL_VARIABLE, TOKEN_VARIABLE = "MESHFARM_URL", "MESHFARM_TOKEN"


class NotLoggedIn(MeshfarmError):
    """No credentials: neither the login file nor the environment variables."""


@dataclass(frozen=True)
class Credentials:
    base_url: str
    token: str


def config_path() -> Path:
    root = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(root) / "meshfarm" / "client.json"


def save(credentials: Credentials) -> Path:
    """Written through a descriptor opened 0600, so the token is never readable by others,
    not even for a moment; an existing file is narrowed to 0600 too."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"base_url": credentials.base_url, "token": credentials.token}, out, indent=2)
        out.write("\n")
    return path


def load() -> Credentials:
    url, token = os.environ.get(URL_VARIABLE), os.environ.get(TOKEN_VARIABLE)
    stored: dict[str, str] = {}
    path = config_path()
    if path.exists():
        stored = json.loads(path.read_text())
    url = url or stored.get("base_url")
    token = token or stored.get("token")
    if not url or not token:
        raise NotLoggedIn(
            f"not logged in: run `meshfarm client login` (or set {URL_VARIABLE} and "
            f"{TOKEN_VARIABLE})"
        )
    return Credentials(url, token)
