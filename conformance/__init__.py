"""vcenter-conformance: conformance tests for vSphere Content Library update and download sessions.

Layers (see ARCHITECTURE.md): ``client`` talks HTTP, ``checks`` judge responses,
``catalog`` holds the requirements, ``suites`` are the pytest tests run against a
target, ``reporting`` writes results, and ``mock`` is a stand-alone mock vCenter
that shares nothing with the suite but ``schemas/``.
"""

__version__ = "0.1.0"
