"""The Rigyd SimReady API under /rigyd: its ``/api/conversions...`` and ``/api/me`` paths."""
