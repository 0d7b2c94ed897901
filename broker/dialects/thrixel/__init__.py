"""The Thrixel download API under /thrixel (its ``/api/v1/...`` paths, later)."""
