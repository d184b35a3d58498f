"""HTTP handlers, one module per service: parse the request, call the backend, serialize.

Handlers stay thin: rules live in ``..models``, errors in ``..errors``, and the one
error renderer in ``..app``.
"""
