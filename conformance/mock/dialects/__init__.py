"""The other wire dialects of the same operations: JSON-RPC at ``POST /api`` and legacy /rest.

Each dialect translates at the edge and runs the /api handlers in-process (``invoke``),
so state, rules, flaws and the clock are the same through every door.
"""
