"""The renderer's exception tree.

Every failure a user can cause with a model or settings ends in a subclass of
:class:`SceneError` whose ``str()`` is a sentence fit for the API's ``errorMessage``.
The worker maps the classes to outcomes in one table; nothing else in the renderer
raises bare ``ValueError``/``KeyError`` for bad input.

    SceneError
    ├── InvalidModel       the file is broken: bad framing, JSON, indices, NaN positions…
    ├── UnsupportedModel   valid glTF that uses something we cannot render
    ├── ModelTooLarge      over a documented limit (triangles, texture pixels, bytes)
    ├── InvalidSettings    a renderSettings value out of range or of the wrong type
    └── RenderTimeout      a job ran past its wall-clock budget
"""

from __future__ import annotations


class SceneError(Exception):
    """Base class: the model or job cannot be rendered; the message says why."""


class InvalidModel(SceneError):
    """The file is not a valid glTF 2.0 asset (or a ZIP holding one)."""


class UnsupportedModel(SceneError):
    """The asset is valid but needs a feature the renderer does not provide."""


class ModelTooLarge(SceneError):
    """The asset exceeds one of the limits in :mod:`renderer.limits`."""


class RenderTimeout(SceneError):
    """Rendering took longer than the time limit given to the renderer."""


class InvalidSettings(SceneError):
    """A renderSettings value is out of range or of the wrong type."""
