"""Which EGL device is a given CUDA GPU (one render actor per GPU on multi-GPU nodes).

EGL enumerates devices in its own order, which does not follow ``CUDA_VISIBLE_DEVICES``
(moderngl issue 732), so the device is matched on its ``EGL_CUDA_DEVICE_NV`` attribute.
Mesa's llvmpipe exposes no CUDA attribute: there the answer is always "no match".
"""

from __future__ import annotations

import ctypes

EGL_CUDA_DEVICE_NV = 0x323A
_EGLBoolean = ctypes.c_uint
_QueryDevices = ctypes.CFUNCTYPE(
    _EGLBoolean, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int)
)
_QueryDeviceAttrib = ctypes.CFUNCTYPE(
    _EGLBoolean, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_ssize_t)
)


def cuda_device_ids() -> list[int | None]:
    """The CUDA device id of each EGL device, in EGL's order (None: not a CUDA device)."""
    try:
        egl = ctypes.CDLL("libEGL.so.1")
    except OSError:
        return []
    get_proc = egl.eglGetProcAddress
    get_proc.restype = ctypes.c_void_p
    get_proc.argtypes = [ctypes.c_char_p]
    devices_ptr = get_proc(b"eglQueryDevicesEXT")
    attrib_ptr = get_proc(b"eglQueryDeviceAttribEXT")
    if not devices_ptr or not attrib_ptr:
        return []
    query_devices = _QueryDevices(devices_ptr)
    query_attrib = _QueryDeviceAttrib(attrib_ptr)
    count = ctypes.c_int(0)
    if not query_devices(0, None, ctypes.byref(count)) or count.value <= 0:
        return []
    devices = (ctypes.c_void_p * count.value)()
    if not query_devices(count.value, devices, ctypes.byref(count)):
        return []
    ids: list[int | None] = []
    for device in devices[: count.value]:
        value = ctypes.c_ssize_t(-1)
        ok = query_attrib(device, EGL_CUDA_DEVICE_NV, ctypes.byref(value))
        ids.append(int(value.value) if ok else None)
    return ids


def egl_device_for_cuda(cuda_device: int) -> int | None:
    """The EGL device index whose CUDA id is ``cuda_device``, or None when none is."""
    ids = cuda_device_ids()
    return ids.index(cuda_device) if cuda_device in ids else None
