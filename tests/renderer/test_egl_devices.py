"""EGL device selection for multi-GPU nodes, as far as a GPU-less machine can check it."""

from __future__ import annotations

from renderer.egl_devices import cuda_device_ids, egl_device_for_cuda


def test_mesa_devices_are_not_cuda_devices():
    ids = cuda_device_ids()
    assert ids, "EGL lists no device at all"  # Mesa exposes at least its software device
    assert all(i is None for i in ids)
    assert egl_device_for_cuda(0) is None
