"""THE conformance tests. Run them with ``vcenter-conformance run`` or
``pytest --pyargs conformance.suites`` with ``CONFORMANCE_TARGET`` set."""

#: the suite's module of property (``fuzz``) tests: Schemathesis and Hypothesis, imported
#: only when it is (``run --no-property-tests`` leaves it out, the prefork server too)
PROPERTY_TESTS_MODULE = "test_properties.py"
