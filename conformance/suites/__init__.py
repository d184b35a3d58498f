"""THE conformance tests. Run them with ``vcenter-conformance run`` or
``pytest --pyargs conformance.suites`` with ``CONFORMANCE_TARGET`` set."""
