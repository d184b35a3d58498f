"""Property tests: Schemathesis generates requests from the OpenAPI fragments in ``schemas/``.

``test_operations_conform_to_contract`` runs Schemathesis' examples, coverage and
fuzzing phases on every operation of the update-session, download-session and
session fragments (not login or logout) and of the file fragments (update-session
files, download-session files, item files); ``test_stateful_session_workflows``
walks the OpenAPI links of the session and session-file fragments from the
creates, the file adds and the download file prepare. Both generate from a fixed seed,
are sized by ``max_examples`` (``--max-examples 200`` goes deeper) and run only
when property tests are on (the ``fuzz`` marker; ``--no-property-tests``). How
the checks are set up, and why, is in ``_properties_policy.py``; a 502/503/504 that
outlives the client's retries, or a request without an answer, makes a test an Error
(target unavailable), not a Fail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

from conformance.client import VcenterClient
from conformance.config import Config
from conformance.sandbox import Sandbox

from . import _properties as props
from ._deadline import RunDeadline
from ._schemathesis_compat import OpenApiSchema

pytestmark = [pytest.mark.fuzz, pytest.mark.destructive, pytest.mark.long]


@pytest.fixture(autouse=True)
def _seed_property(request: pytest.FixtureRequest) -> None:
    """The seed in the JUnit report's properties of each test."""
    request.node.user_properties.append(("seed", str(props.SEED)))


@pytest.fixture(scope="module")
def schemas(settings: Config, client: VcenterClient) -> Callable[[str], OpenApiSchema]:
    """The fragments as Schemathesis schemas, loaded once (Schemathesis caches per schema)."""
    config = props.schemathesis_config(settings, _token(client))
    return functools.cache(lambda fragment: props.load_schema(fragment, config))


@pytest.fixture(scope="module")
def content(settings: Config, sandbox: Sandbox) -> props.SandboxContent:
    """The item with content the file operations use, uploaded on first use (64 bytes)."""
    return props.SandboxContent(sandbox, settings.poll_timeout)


@pytest.fixture
def http(
    settings: Config, client: VcenterClient, run_deadline: RunDeadline
) -> Iterator[props.TargetHttp]:
    """One keep-alive connection pool for the generated requests, retrying 502/503/504 as the
    client does (what stays unavailable makes the test an Error, ``props.TargetUnavailable``),
    and stopped at the run's deadline."""
    session = props.TargetHttp(
        verify=settings.tls_verify,
        retries=client.unavailable_retries,
        delay=client.retry_delay,
        guard=run_deadline.guard,
    )
    yield session
    session.close()


def _token(client: VcenterClient) -> str:
    token = client.token
    if token is None:  # the client fixture logged in; losing the token is a suite bug
        raise RuntimeError("the suite's API session has no token")
    return token


@pytest.mark.requirement("PROP-CONTRACT")
@pytest.mark.parametrize("operation_id", props.contract_operation_ids())
def test_operations_conform_to_contract(
    operation_id: str,
    settings: Config,
    schemas: Callable[[str], OpenApiSchema],
    sandbox: Sandbox,
    content: props.SandboxContent,
    http: props.TargetHttp,
) -> None:
    operation = schemas(props.fragment_of(operation_id)).find_operation_by_id(operation_id)
    shaper = props.CaseShaper(sandbox, content)
    props.run_operation(
        operation,
        shaper,
        http,
        reproduce=(
            f"vcenter-conformance run -k 'test_operations_conform_to_contract and "
            f"{operation_id}' --max-examples {settings.max_examples}"
        ),
    )


@pytest.mark.requirement("PROP-STATEFUL")
@pytest.mark.parametrize("fragment", props.WORKFLOW_FRAGMENTS)
def test_stateful_session_workflows(
    fragment: str,
    settings: Config,
    schemas: Callable[[str], OpenApiSchema],
    sandbox: Sandbox,
    content: props.SandboxContent,
    http: props.TargetHttp,
) -> None:
    scenarios, steps = props.workflow_size(settings.max_examples)
    schema = schemas(fragment)
    # A create always gets a fresh item (and, as every request, a fresh token): the
    # answers of a scenario must not depend on earlier scenarios (Hypothesis raises
    # Flaky when replayed choices meet other answers). A file root always acts on the
    # live session (adds get plain names, a prepare an existing file).
    shaper = props.CaseShaper(
        sandbox,
        content,
        live_every=1,
        keep_random_every=0,
        busy_every=0,
        skip_repeats=False,
        plain_names=True,
    )
    # Every scenario starts with a root; workflow_machine raises WorkflowSetupError
    # (an Error, not a Fail: the suite is broken, not the target) if it cannot.
    machine = props.workflow_machine(schema, fragment, shaper, http)
    props.run_workflows(
        machine,
        scenarios=scenarios,
        steps=steps,
        what=f"A sequence of {fragment.split('.')[0]} operations",
        reproduce=(
            f"vcenter-conformance run -k 'test_stateful_session_workflows and "
            f"{fragment.split('.')[0]}' --max-examples {settings.max_examples} (Schemathesis "
            "chooses between a link's value and a random one without the seed, so a sequence "
            "may take a few runs to recur)"
        ),
    )
