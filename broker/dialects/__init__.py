"""One sub-app per vendor API (dx.gl, USD Refinery, Rigyd, Thrixel).

Each owns its paths, envelope and error codes; dialects never import one another.
"""
