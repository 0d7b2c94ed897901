"""meshfarm's renderer: glTF in, numpy frames out (headless OpenGL through EGL).

The public surface other packages code against; see docs/renderer.md for decisions.
"""

from renderer.camera import Camera
from renderer.camera_path import CameraPath
from renderer.environment import (
    BUILTIN_ENVIRONMENTS,
    Environment,
    InvalidEnvironment,
    builtin_environment,
    encode_hdr,
    environment_from_array,
    export_environment_hdr,
    load_environment,
    uniform_environment,
)
from renderer.errors import (
    InvalidModel,
    InvalidSettings,
    ModelTooLarge,
    RenderTimeout,
    SceneError,
    UnsupportedModel,
)
from renderer.frame_renderer import Renderer
from renderer.framing import Bounds, stage
from renderer.gltf_loader import load_scene
from renderer.ibl import warm_up
from renderer.layers import Layers, LayersRenderer, render_layers
from renderer.scene import Scene
from renderer.settings import RenderSettings, output_size

__all__ = [
    "BUILTIN_ENVIRONMENTS",
    "Bounds",
    "Camera",
    "CameraPath",
    "Environment",
    "InvalidEnvironment",
    "InvalidModel",
    "InvalidSettings",
    "Layers",
    "LayersRenderer",
    "ModelTooLarge",
    "RenderSettings",
    "RenderTimeout",
    "Renderer",
    "Scene",
    "SceneError",
    "UnsupportedModel",
    "builtin_environment",
    "encode_hdr",
    "environment_from_array",
    "export_environment_hdr",
    "load_environment",
    "load_scene",
    "output_size",
    "render_layers",
    "stage",
    "uniform_environment",
    "warm_up",
]
