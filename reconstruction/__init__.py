"""Models rebuilt from pictures (a pure library): images and camera poses in, a mesh out."""
