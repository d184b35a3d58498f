"""Fixtures and hooks of the conformance suite.

The run's settings come from ``vcenter-conformance run`` (which registers a
:class:`ConformancePlugin`) or, under plain ``pytest --pyargs
conformance.suites``, from ``--conformance-config`` and ``CONFORMANCE_*``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.catalog import catalog
from conformance.checks import ConformanceFailure, ConformanceFailures
from conformance.client import CleanupIncomplete, ClientError, Exchange, VcenterApi, VcenterClient
from conformance.config import Config, ConfigError, load_config
from conformance.profiles import ProfileError, load_profile
from conformance.reporting.plugin import (
    EXCHANGES_KEY,
    PLUGIN_NAME,
    ConformancePlugin,
    settings_from_wire,
)
from conformance.sandbox import Sandbox, connect

from ._deadline import RunDeadline, RunDeadlineReached, deadline_in
from ._expiry import EXPIRY_PROBE_INPUT, make_expiry_probe, read_handoff
from ._expiry import ExpiryProbe as ExpiryProbe  # the expiry test imports it from here
from ._parallel import ControllerExpiryProbe, exit_promptly_when_done, handoff_wait
from ._preconditions import start_run
from ._unknown_ids import UnknownIds
from ._verify import Verifier

VERIFIER_KEY = pytest.StashKey[Verifier]()
DEADLINE_KEY = pytest.StashKey[RunDeadline]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vcenter-conformance")
    group.addoption(
        "--conformance-config",
        metavar="FILE",
        help="TOML settings file (CONFORMANCE_* variables override it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the catalog requirements this test judges"
    )
    config.addinivalue_line("markers", "destructive: changes state on the target (in the sandbox)")
    config.addinivalue_line("markers", "optional(feature): needs an optional target feature")
    config.addinivalue_line("markers", "fuzz: generated (property-based) requests")
    config.addinivalue_line(
        "markers",
        "dialect(name, reason=...): judged only in that API dialect (api or rest); "
        "deselected in the other (Skip with the reason if the dialect is not known yet)",
    )
    config.addinivalue_line(
        "markers", "judged_last: runs after every other test (it waits on the clock)"
    )
    config.addinivalue_line(
        "markers",
        "long: takes long (waits on the clock or sends many requests); a worker of a "
        "parallel run starts these first",
    )
    start_run()  # a new run: no shared precondition has failed yet
    if _plugin(config) is not None:
        return
    workerinput = getattr(config, "workerinput", {})
    if "vcc_settings" in workerinput:  # a worker of `run -n N`: the controller's settings
        settings = settings_from_wire(workerinput["vcc_settings"])
        profile = (
            load_profile(settings.profile, frozenset(catalog().ids)) if settings.profile else None
        )
        worker = ConformancePlugin(
            settings,
            catalog(),
            profile=profile,
            mock_started=bool(workerinput.get("vcc_mock_started")),
            worker=True,
        )
        if "vcc_run_started" in workerinput:
            worker.started = datetime.fromisoformat(workerinput["vcc_run_started"])
        config.pluginmanager.register(worker, PLUGIN_NAME)
        exit_promptly_when_done()
        return
    option = config.getoption("--conformance-config")
    try:
        settings = load_config(file=Path(option) if option else None)
    except ConfigError as exc:
        raise pytest.UsageError(f"vcenter-conformance: {exc}") from None
    if settings.target is None:
        raise pytest.UsageError(
            "vcenter-conformance: no target: set CONFORMANCE_TARGET (and CONFORMANCE_PASSWORD), "
            "or use `vcenter-conformance run`, which can start the bundled mock"
        )
    try:
        profile = (
            load_profile(settings.profile, frozenset(catalog().ids)) if settings.profile else None
        )
    except ProfileError as exc:
        raise pytest.UsageError(f"vcenter-conformance: {exc}") from None
    config.pluginmanager.register(
        ConformancePlugin(_resolve_dialect(settings), catalog(), profile=profile), PLUGIN_NAME
    )


def _run_deadline(config: pytest.Config) -> RunDeadline:
    """The run's deadline, counting from the start of the run (the plugin's start)."""
    deadline = config.stash.get(DEADLINE_KEY, None)
    if deadline is None:
        plugin = _plugin(config)
        if plugin is None:
            deadline = RunDeadline(0.0)
        else:
            spent = (datetime.now(UTC) - plugin.started).total_seconds()
            deadline = RunDeadline(plugin.settings.deadline, spent=spent)
        config.stash[DEADLINE_KEY] = deadline
    return deadline


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Once the run's deadline has passed, a test is an Error without running."""
    deadline = _run_deadline(item.config)
    deadline.check()
    deadline.armed = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Teardown (and the sandbox's cleanup after the last test) is never cut short."""
    _run_deadline(item.config).armed = False


def _resolve_dialect(settings: Config) -> Config:
    """``api = "auto"`` resolved by one login, so collection knows the dialect judged
    (``vcenter-conformance run`` resolves it in its preflight login)."""
    if settings.api != "auto":
        return settings
    client = connect(settings)
    try:
        client.login()
        client.logout()
    except ClientError:
        return settings  # the suite's own login reports it; the gate fixture decides later
    finally:
        client.close()
    return dataclasses.replace(settings, api=client.dialect)


def _not_in_dialect(item: pytest.Item, judged: str) -> str | None:
    """Why ``item`` does not apply to the dialect judged, or ``None`` if it does."""
    marker = item.get_closest_marker("dialect")
    if marker is not None and judged not in marker.args:
        reason = marker.kwargs.get("reason", f"judged only in the {marker.args[0]} dialect")
        return f"not on {judged}: {reason}"
    if judged == "rest" and item.get_closest_marker("fuzz") is not None:
        return f"not on rest: {PROPERTY_TESTS_ON_REST}"
    return None


def _deselect_other_dialect(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect what does not exist in the dialect judged: such a requirement is not
    selected, so a /rest run is not INCOMPLETE for lacking /api's wire rules (and back)."""
    plugin = _plugin(config)
    if plugin is None or plugin.settings.api == "auto":
        return  # not resolved: the gate fixture skips them instead
    dropped = [item for item in items if _not_in_dialect(item, plugin.settings.api)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Select by ``--requirement``; deselect tests of the other API dialect; tests that
    wait for time to pass go last, so the run works while it passes; in a parallel run,
    long tests go first."""
    _select_requirements(config, items)
    _deselect_other_dialect(config, items)
    items.sort(key=lambda item: item.get_closest_marker("judged_last") is not None)
    if _xdist_worker(config) is not None:
        # Parallel: the long tests first, so that the tests dispatched last are short
        # and the workers end together (xdist hands out tests in this order). A serial
        # run keeps the modules' order.
        items.sort(key=_dispatch_order)


def _dispatch_order(item: pytest.Item) -> int:
    if item.get_closest_marker("judged_last") is not None:
        return 2
    return 0 if item.get_closest_marker("long") is not None else 1


def _select_requirements(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--requirement ID`` (``requirements``): keep exactly the tests whose ``requirement``
    marker cites one."""
    plugin = _plugin(config)
    wanted = set(plugin.settings.requirements) if plugin is not None else set()
    if not wanted:
        return
    unknown = sorted(wanted - set(catalog().ids))
    if unknown:
        raise pytest.UsageError(
            f"vcenter-conformance: requirements: {', '.join(unknown)} not in the catalog. "
            "`vcenter-conformance catalog` lists the ids"
        )
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        cited = {str(a) for m in item.iter_markers("requirement") for a in m.args}
        (keep if cited & wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _plugin(config: pytest.Config) -> ConformancePlugin | None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ConformancePlugin):
            return plugin
    return None


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[None]:
    """Raise the failures that ``verify.soft`` recorded once the test is over.

    A test the run's deadline stopped inside an exception group is reported as stopped
    by the deadline.
    """
    verifier = pyfuncitem.stash.get(VERIFIER_KEY, None)
    try:
        result = yield
    except ConformanceFailure as hard:
        if verifier is not None:
            raise ConformanceFailures(
                [*verifier.failures, hard], stopped=True, judged=frozenset(verifier.judged)
            ) from None
        raise
    except BaseExceptionGroup as group:  # e.g. Hypothesis' FlakyFailure
        stopped = deadline_in(group)
        if stopped is not None:
            raise RunDeadlineReached(str(stopped)) from group
        raise
    if verifier is not None and verifier.failures:
        raise ConformanceFailures(verifier.failures)
    return result


# -- fixtures ----------------------------------------------------------------
@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Config:
    plugin = _plugin(pytestconfig)
    assert plugin is not None
    return plugin.settings


@pytest.fixture(scope="session")
def run_deadline(pytestconfig: pytest.Config) -> RunDeadline:
    """The run's wall-time budget (every client's requests pass its guard)."""
    return _run_deadline(pytestconfig)


@pytest.fixture(scope="session")
def _exchange_listeners(pytestconfig: pytest.Config) -> list[Callable[[Exchange], None]]:
    """Where each test's recorder hooks in; shared by every client the suite makes.

    The plugin sees every exchange too, so that the coverage counts the requests
    no test made (sandbox setup and cleanup, login) as well.
    """
    plugin = _plugin(pytestconfig)
    return [plugin.observe_exchange] if plugin is not None else []


def _fanout(listeners: list[Callable[[Exchange], None]]) -> Callable[[Exchange], None]:
    def listener(exchange: Exchange) -> None:
        for each in list(listeners):
            each(exchange)

    return listener


@pytest.fixture(scope="session")
def make_client(
    settings: Config,
    _exchange_listeners: list[Callable[[Exchange], None]],
    run_deadline: RunDeadline,
) -> Iterator[Callable[[], VcenterClient]]:
    """A factory of new, not yet logged-in clients (for the login-session tests)."""
    made: list[VcenterClient] = []

    def make() -> VcenterClient:
        client = connect(settings)
        client.add_listener(_fanout(_exchange_listeners))
        client.before_request = run_deadline.guard
        made.append(client)
        return client

    yield make
    for client in made:
        with contextlib.suppress(ClientError):
            client.logout()
        client.close()


@pytest.fixture(scope="session")
def client(make_client: Callable[[], VcenterClient], pytestconfig: pytest.Config) -> VcenterClient:
    client = make_client()
    client.login()
    plugin = _plugin(pytestconfig)
    if plugin is not None and plugin.settings.api == "auto":  # plain pytest: resolved here
        plugin.settings = dataclasses.replace(plugin.settings, api=client.dialect)
    if plugin is not None:
        version = VcenterApi(client).version()
        if version.status == 200 and isinstance(version.json, dict):
            plugin.target_info = {
                k: str(v) for k, v in version.json.items() if k in ("version", "build", "product")
            }
    return client


@pytest.fixture(scope="session")
def dialect(settings: Config, request: pytest.FixtureRequest) -> str:
    """The API dialect judged: ``api`` or ``rest`` (``auto`` is resolved by the login)."""
    if settings.api != "auto":
        return settings.api
    client: VcenterClient = request.getfixturevalue("client")
    return client.dialect


#: why the property tests are not judged on /rest
PROPERTY_TESTS_ON_REST = (
    "the property tests are generated from the /api OpenAPI fragments (schemas/); the "
    "legacy /rest operations have no fragments yet, so they are not judged on /rest"
)


@pytest.fixture(autouse=True)
def _dialect_gate(request: pytest.FixtureRequest) -> None:
    """Skip what does not exist in the dialect judged, where collection could not
    deselect it (the dialect was not known yet)."""
    node = request.node
    if node.get_closest_marker("dialect") is None and node.get_closest_marker("fuzz") is None:
        return
    reason = _not_in_dialect(node, request.getfixturevalue("dialect"))
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def api(client: VcenterClient) -> VcenterApi:
    return VcenterApi(client)


@pytest.fixture(scope="session")
def sandbox(
    api: VcenterApi,
    settings: Config,
    _exchange_listeners: list[Callable[[Exchange], None]],
    pytestconfig: pytest.Config,
) -> Iterator[Sandbox]:
    """The run's sandbox; it sees every client's exchanges, so it removes whatever any
    test created, whether or not the test meant to create it."""
    box = Sandbox(api, settings, worker=_worker_number(pytestconfig))
    _exchange_listeners.append(box.observe)
    try:
        box.open()
        yield box
    finally:
        _exchange_listeners.remove(box.observe)
        problems = box.cleanup()
        if problems:
            raise CleanupIncomplete(
                "cleanup could not remove: "
                + "; ".join(problems)
                + f" (run `vcenter-conformance cleanup` for prefix {settings.run_prefix})"
            )


def _xdist_worker(config: pytest.Config) -> str | None:
    """xdist's worker id (gwN) when this process is a worker of this run's ``-n``, else None.

    Read from the run's own config, not the environment: a run started from inside
    another pytest-xdist worker (the project's tests) inherits PYTEST_XDIST_WORKER.
    """
    workerid = getattr(config, "workerinput", {}).get("workerid")
    return workerid if isinstance(workerid, str) else None


def _worker_number(config: pytest.Config) -> int:
    """N of xdist's worker gwN in a parallel run; 0 in a serial one."""
    name = (_xdist_worker(config) or "gw0").removeprefix("gw")
    return int(name) if name.isdigit() else 0


@pytest.fixture(autouse=True)
def _record_exchanges(
    request: pytest.FixtureRequest, _exchange_listeners: list[Callable[[Exchange], None]]
) -> Iterator[None]:
    recorded: list[Exchange] = []
    request.node.stash[EXCHANGES_KEY] = recorded
    _exchange_listeners.append(recorded.append)
    yield
    _exchange_listeners.remove(recorded.append)


@pytest.fixture
def verify(request: pytest.FixtureRequest) -> Verifier:
    """Checks under the test's ``requirement`` marker (see ``_verify``)."""
    verifier = Verifier(str(r) for m in request.node.iter_markers("requirement") for r in m.args)
    request.node.stash[VERIFIER_KEY] = verifier
    return verifier


@pytest.fixture
def item(sandbox: Sandbox) -> str:
    """A fresh, empty library item in the sandbox library."""
    return sandbox.new_item()


@pytest.fixture
def update_session(sandbox: Sandbox, item: str) -> str:
    """An ACTIVE update session on a fresh item."""
    return sandbox.new_update_session(item)


@pytest.fixture
def download_session(sandbox: Sandbox, item: str) -> str:
    """An ACTIVE download session on a fresh item."""
    return sandbox.new_download_session(item)


@pytest.fixture(scope="session")
def _unknown_ids(sandbox: Sandbox) -> UnknownIds:
    return UnknownIds(
        {
            "item": sandbox.new_item,
            "update_session": lambda: sandbox.new_update_session(sandbox.new_item()),
            "download_session": lambda: sandbox.new_download_session(sandbox.new_item()),
        }
    )


@pytest.fixture(scope="session")
def expiry_probe(request: pytest.FixtureRequest) -> ExpiryProbe:
    """The probe ``vcenter-conformance run`` made before the tests started (handed to a
    worker of a parallel run, or taken from the CLI's plugin in a serial one), else one
    made now in this process's sandbox (with the first test)."""
    handoff = getattr(request.config, "workerinput", {}).get(EXPIRY_PROBE_INPUT)
    if handoff is not None:
        settings: Config = request.getfixturevalue("settings")
        deadline = request.config.stash.get(DEADLINE_KEY, None)
        handed = read_handoff(Path(handoff), handoff_wait(settings.timeout, deadline))
        if handed is not None:
            return handed
        return make_expiry_probe(request.getfixturevalue("sandbox"))
    controller = _controller_probe(request.config)
    made = controller.wait_for_probe() if controller is not None else None
    if made is not None:
        return made
    return make_expiry_probe(request.getfixturevalue("sandbox"))


def _controller_probe(config: pytest.Config) -> ControllerExpiryProbe | None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ControllerExpiryProbe):
            return plugin
    return None


@pytest.fixture(scope="session", autouse=True)
def _start_expiry_probe_early(request: pytest.FixtureRequest) -> None:
    """When ``vcenter-conformance run`` did not make it up front (plain pytest, or a serial
    run that selects tests), make the expiry probe with the first test, when a selected
    test uses it: the run's other tests then take the time
    its expiry needs. A problem making it is the expiry test's Error, not the first
    test's."""
    controller = _controller_probe(request.config)
    if _xdist_worker(request.config) is not None or (controller and controller.started):
        # `run` made it before the tests started (see _parallel.py); made here, it would
        # be made later (and, in a parallel run, once per worker).
        return
    if any("expiry_probe" in getattr(i, "fixturenames", ()) for i in request.session.items):
        with contextlib.suppress(Exception):
            request.getfixturevalue("expiry_probe")


@pytest.fixture
def unknown_item_id(_unknown_ids: UnknownIds) -> str:
    """A library item id in the target's own format that it never issued."""
    return _unknown_ids.of("item")


@pytest.fixture
def unknown_update_session_id(_unknown_ids: UnknownIds) -> str:
    """An update session id in the target's own format that it never issued."""
    return _unknown_ids.of("update_session")


@pytest.fixture
def unknown_download_session_id(_unknown_ids: UnknownIds) -> str:
    """A download session id in the target's own format that it never issued."""
    return _unknown_ids.of("download_session")
