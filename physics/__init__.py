"""Simulation-ready assets (a pure library): collision decomposition, mass, physics
materials, the SimReady USD, the MJCF package and MuJoCo simulations.

Numpy and files in, numpy and files out; the asset comes from :mod:`exchange.asset`, in
the SimReady frame of :mod:`physics.frame` (Z-up metres, standing on the origin).
"""
