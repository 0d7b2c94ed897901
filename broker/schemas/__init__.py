"""Pydantic models at the API boundary (request bodies, response shapes, render settings)."""
