"""Turning an HTTP upload into a validated model file, before anything is stored."""
