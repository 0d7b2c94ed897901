"""The official checkers of each output format, run as their authors ship them.

A verdict is only worth something if it is the standard's own: the Khronos glTF-Validator
for glTF/GLB, OpenUSD's ARKit compliance rules for USDZ and its validation framework for
any USD (its UsdPhysics validators also on their own), NVIDIA's SimReady validator for a
SimReady USD against its profile; FBX has no official checker, so ufbx (a reader that is
not Blender, which wrote it) says what an engine importing it gets. Our own checks live
beside these, never in place of them.
"""

from health.validators.errors import ValidatorFailed, ValidatorUnavailable
from health.validators.fbx import FbxVerdict, check_fbx
from health.validators.gltf import GltfMessage, GltfVerdict, validate_gltf
from health.validators.simready import SimReadyFailure, SimReadyVerdict, validate_simready
from health.validators.usd import (
    ArkitVerdict,
    ComplianceIssue,
    UsdIssue,
    UsdValidationVerdict,
    check_arkit,
    validate_usd,
    validate_usd_physics,
)

__all__ = [
    "ArkitVerdict",
    "ComplianceIssue",
    "FbxVerdict",
    "GltfMessage",
    "GltfVerdict",
    "SimReadyFailure",
    "SimReadyVerdict",
    "UsdIssue",
    "UsdValidationVerdict",
    "ValidatorFailed",
    "ValidatorUnavailable",
    "check_arkit",
    "check_fbx",
    "validate_gltf",
    "validate_simready",
    "validate_usd",
    "validate_usd_physics",
]
