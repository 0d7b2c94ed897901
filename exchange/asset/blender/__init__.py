"""Scripts that Blender's own Python runs in a subprocess (``blender_python script -- …``).

bpy pins numpy<2 and can crash its process, so meshfarm never imports it: the modules here
are files handed to that interpreter, and importing them from the project does nothing
useful (they need ``bpy``).
"""
