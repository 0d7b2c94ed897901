"""The Rigyd SimReady API under /rigyd (its ``/api/conversions...`` paths, later)."""
