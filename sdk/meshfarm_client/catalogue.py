"""What ``meshfarm client batch`` reads: a folder of model files or a CSV catalogue, one row
per model and settings; and how a setting is written on the command line.

CSV columns (a header row names them; order free, unknown names are render settings):

- ``file`` — a model file, relative to the CSV's folder; or ``model_id`` — a model already
  on the farm. One of the two in every row.
- ``settings`` — render settings as a JSON object (optional).
- any dx.gl render setting by its API name (``quality``, ``aspect``, ``bgColor``, ``length``,
  ``effect``, ``output``, ``datasetQuality`` …): the cell is its value (``true``/``false``,
  numbers and text are read as such); an empty cell leaves it out. They override ``settings``.
- ``title``, ``sku``, ``tags`` (separated by ``;``) — set on the model.

A file named in several rows is uploaded once (with its first row's settings); its other
rows become renders of that model.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_SUFFIXES = frozenset(
    {".glb", ".gltf", ".zip", ".obj", ".stl", ".ply", ".dae", ".zae", ".fbx"}
    | {".usd", ".usda", ".usdc", ".usdz"}
)
"""What a folder batch uploads: the formats a meshfarm farm reads."""
MODEL_COLUMNS = frozenset({"file", "model_id", "settings", "title", "sku", "tags"})


class CatalogueError(ValueError):
    """A row or a setting that cannot be read (says which, and why)."""


@dataclass
class Row:
    line: int
    file: Path | None = None
    model_id: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    sku: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return str(self.file.name) if self.file else str(self.model_id)


def scalar(text: str) -> Any:
    """A cell or ``key=value`` value as JSON would have it: true, 6, 4.7, or the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text.strip()


def parse_settings(text: str | None) -> dict[str, Any]:
    """``--render``: a JSON object, ``@settings.json``, or ``quality=4k,aspect=1:1``."""
    if text is None or not text.strip():
        return {}
    raw = text.strip()
    if raw.startswith("@"):
        raw = Path(raw[1:]).read_text()
    if raw.lstrip().startswith("{"):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"render settings are not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise CatalogueError("render settings must be a JSON object")
        return value
    settings: dict[str, Any] = {}
    for pair in raw.split(","):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CatalogueError(f"'{pair}' is not name=value (or give a JSON object)")
        settings[name.strip()] = scalar(value)
    return settings


def from_folder(folder: Path, settings: dict[str, Any]) -> list[Row]:
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES
    )
    if not files:
        raise CatalogueError(f"{folder} holds no model files ({', '.join(sorted(MODEL_SUFFIXES))})")
    return [Row(line=i, file=p, settings=dict(settings)) for i, p in enumerate(files, 1)]


def from_csv(path: Path, defaults: dict[str, Any]) -> list[Row]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"file", "model_id"} & set(reader.fieldnames):
            raise CatalogueError(f"{path}: the header needs a 'file' or a 'model_id' column")
        rows = [_row(path.parent, line, cells) for line, cells in enumerate(reader, 2)]
    if not rows:
        raise CatalogueError(f"{path} has no rows")
    for row in rows:
        row.settings = {**defaults, **row.settings}
    return rows


def _row(folder: Path, line: int, cells: dict[str, str | None]) -> Row:
    def cell(name: str) -> str:
        return (cells.get(name) or "").strip()

    where = f"line {line}"
    file, model_id = cell("file"), cell("model_id")
    if bool(file) == bool(model_id):
        raise CatalogueError(f"{where}: give either a file or a model_id")
    row = Row(line=line, model_id=model_id or None)
    if file:
        row.file = (folder / file).resolve()
        if not row.file.is_file():
            raise CatalogueError(f"{where}: no file {file}")
    try:
        row.settings = parse_settings(cell("settings"))
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    for name, value in cells.items():
        if name and name not in MODEL_COLUMNS and value is not None and value.strip():
            row.settings[name.strip()] = scalar(value)
    row.title, row.sku = cell("title") or None, cell("sku") or None
    row.tags = [t.strip() for t in cell("tags").split(";") if t.strip()]
    return row


def read(source: Path, defaults: dict[str, Any]) -> list[Row]:
    if source.is_dir():
        return from_folder(source, defaults)
    if source.suffix.lower() == ".csv":
        return from_csv(source, defaults)
    raise CatalogueError(f"{source} is neither a folder nor a .csv catalogue")
