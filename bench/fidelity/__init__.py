"""Helpers of ``bench/fidelity.py``: the Khronos fidelity metric, tone mapping, the peers.

``cycles_backend.py`` runs inside the reference environment (``bench/.venv-bpy``, made by
``make bench-fidelity``), never in the project's virtualenv; the other modules need only
numpy and Pillow.
"""
