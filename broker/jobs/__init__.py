"""The job engine: one state machine, one queue and one hook table for every kind of work."""
