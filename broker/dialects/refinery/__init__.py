"""The USD Refinery converter API under /refinery (its ``/api/v1/...`` paths)."""
