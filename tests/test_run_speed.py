"""What makes a run quick, and must not change what it judges: the environment's proxies
looked up once per target (and still honoured), Schemathesis' per-operation configuration
looked up once per operation, Hypothesis' files in the per-user cache, the expiry probe
made before the tests and removed once it has served, the order a parallel run hands
tests out in, a worker's start without garbage collection and its exit without
teardown, and the bundled mock's settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from suite_runner import PASSWORD, USER, library_names

from conformance.cli import BUNDLED_MOCK_KEEPALIVE_WAIT, BUNDLED_MOCK_SESSION_TIMEOUT, _target
from conformance.client import PinnedTlsSession
from conformance.config import DEFAULT_KEEPALIVE_WAIT, load_config, user_cache_dir
from conformance.mock import MockServer, MockSettings
from conformance.suites import _schemathesis_compat as compat
from conformance.suites._expiry import EXPIRY_TEST
from conformance.suites._parallel import ControllerExpiryProbe


@pytest.fixture(autouse=True)
def _run_directories_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings here keep the default ``reports`` directory, where the controller
    writes its expiry hand-off file: a temporary directory, not the checkout."""
    monkeypatch.chdir(tmp_path)


PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


# -- proxies ----------------------------------------------------------------------------
def _merged(session: requests.Session, url: str) -> dict[str, Any]:
    return dict(session.merge_environment_settings(url, {}, None, None, None))


def test_a_proxy_in_the_environment_is_honoured(proxy_env: pytest.MonkeyPatch) -> None:
    proxy_env.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    proxy_env.setenv("NO_PROXY", "vc-lab.example.com")
    session = PinnedTlsSession()
    plain = requests.Session()
    for url in ("https://vc-prod.example.com/api/session", "https://vc-lab.example.com/api"):
        assert _merged(session, url)["proxies"] == _merged(plain, url)["proxies"]
    assert _merged(session, "https://vc-prod.example.com/x")["proxies"]["https"] == (
        "http://proxy.example.com:3128"
    )
    assert "https" not in _merged(session, "https://vc-lab.example.com/x")["proxies"]


def test_the_environment_is_asked_once_per_target_not_per_request(
    proxy_env: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    real = requests.utils.get_environ_proxies

    def counting(url: str, no_proxy: str | None = None) -> dict[str, str]:
        asked.append(url)
        return real(url, no_proxy=no_proxy)

    proxy_env.setattr(requests.utils, "get_environ_proxies", counting)
    session = PinnedTlsSession()
    for n in range(5):
        _merged(session, f"https://vc.example.com/api/item/{n}")
    _merged(session, "https://other.example.com/api")
    assert asked == ["https://vc.example.com/api/item/0", "https://other.example.com/api"]


def test_without_trust_env_no_proxy_comes_from_the_environment(
    proxy_env: pytest.MonkeyPatch,
) -> None:
    proxy_env.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    session = PinnedTlsSession()
    session.trust_env = False
    assert _merged(session, "https://vc.example.com/api")["proxies"] == {}


def test_a_pinned_ca_bundle_still_wins_over_the_environments(
    proxy_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy_env.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "env.pem"))
    pinned = str(tmp_path / "vcenter-ca.pem")
    assert _merged(PinnedTlsSession(pinned), "https://vc.example.com/api")["verify"] == pinned
    assert _merged(PinnedTlsSession(False), "https://vc.example.com/api")["verify"] is False
    # system CAs: the variable applies, as requests documents
    assert _merged(PinnedTlsSession(True), "https://vc.example.com/api")["verify"] == str(
        tmp_path / "env.pem"
    )


def test_the_property_tests_session_pins_and_caches_as_the_clients_does() -> None:
    from conformance.suites._properties import TargetHttp

    assert issubclass(TargetHttp, PinnedTlsSession)
    assert TargetHttp(verify="/ca.pem").verify == "/ca.pem"


# -- Schemathesis' configuration ---------------------------------------------------------
def test_per_operation_lookups_give_the_same_answers_once_per_operation(
    schema_of: Any,
) -> None:
    from schemathesis.config._projects import ProjectConfig

    schema = schema_of("update-session.openapi.yaml")
    operations = [
        schema.find_operation_by_id(o) for o in ("update_session_create", "update_session_get")
    ]
    config = schema.config
    before = {
        n: getattr(ProjectConfig, n) for n in ("phases_for", "generation_for", "checks_config_for")
    }
    plain = [
        (
            config.generation_for(operation=op, phase="fuzzing"),
            config.checks_config_for(operation=op),
        )
        for op in operations
    ]
    with compat.memoized_operation_config():
        first = [config.generation_for(operation=op, phase="fuzzing") for op in operations]
        again = [config.generation_for(operation=op, phase="fuzzing") for op in operations]
        checks = [config.checks_config_for(operation=op) for op in operations]
        assert [a is b for a, b in zip(first, again, strict=True)] == [True, True]
        assert first[0] is not first[1]
        with compat.memoized_operation_config():  # nested: the outer block's answers
            assert config.generation_for(operation=operations[0], phase="fuzzing") is first[0]
    assert [(g.max_examples, g.modes) for g, _ in plain] == [
        (g.max_examples, g.modes) for g in first
    ]
    assert [c.__class__ for _, c in plain] == [c.__class__ for c in checks]
    # outside the block, Schemathesis' own methods again
    assert {n: getattr(ProjectConfig, n) for n in before} == before


@pytest.fixture
def schema_of() -> Any:
    from conformance.suites._properties_policy import schemathesis_config
    from conformance.suites._properties_shaping import load_schema

    settings = load_config(env={}, overrides={"target": "http://127.0.0.1:9", "password": "x"})
    config = schemathesis_config(settings, "token")
    return lambda fragment: load_schema(fragment, config)


# -- Hypothesis' files ---------------------------------------------------------------------
def test_hypothesis_keeps_its_files_in_the_per_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hypothesis.configuration import storage_directory

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    try:
        home = compat.hypothesis_home()
        assert home == tmp_path / "cache" / "vcenter-conformance" / "hypothesis"
        assert storage_directory("unicode_data").path == home / "unicode_data"
        assert not (tmp_path / ".hypothesis").exists()
    finally:
        compat.hypothesis_home()  # back to this process's own cache directory


def test_a_storage_directory_the_user_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", "/somewhere/else")
    assert compat.hypothesis_home() is None


def test_the_user_cache_directory_follows_the_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path / "vcenter-conformance"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "vcenter-conformance"


# -- the expiry probe, made by `run` and removed once it has served -------------------------
def _library_names(url: str) -> list[str]:
    return library_names(_settings(url))


def _settings(url: str) -> Any:
    return load_config(
        env={}, overrides={"target": url, "user": USER, "password": PASSWORD, "run_id": "sp"}
    )


def _serial_session(items: list[str]) -> Any:
    plugins = SimpleNamespace(getplugin=lambda name: None)
    return SimpleNamespace(
        items=[SimpleNamespace(nodeid=f"test_x.py::{name}") for name in items],
        config=SimpleNamespace(pluginmanager=plugins),
    )


def test_a_serial_run_gets_the_probe_made_before_the_tests_and_removes_it_after_its_test() -> None:
    errors: list[str] = []
    with MockServer(MockSettings(user=USER, password=PASSWORD, session_timeout=60)) as server:
        probe = ControllerExpiryProbe(_settings(server.url), 1, lambda _e: None, errors.append)
        probe.start()
        made = probe.wait_for_probe()
        assert made is not None
        assert made.lifetime_s == pytest.approx(60, abs=1)
        assert _library_names(server.url) == ["vcc-sp-lib-2"]  # after the run's own lib-1
        probe.pytest_collection_finish(_serial_session(["test_a", EXPIRY_TEST]))
        assert _library_names(server.url) == ["vcc-sp-lib-2"]  # still to be judged
        report = SimpleNamespace(when="teardown", nodeid=f"test_update_session.py::{EXPIRY_TEST}")
        probe.pytest_runtest_logreport(report)  # type: ignore[arg-type]
        probe.pytest_sessionfinish(None)  # type: ignore[arg-type]
        assert _library_names(server.url) == []
    assert errors == []


def test_a_probe_no_selected_test_judges_is_removed_when_the_tests_are_known() -> None:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        probe = ControllerExpiryProbe(_settings(server.url), 4, lambda _e: None, lambda _m: None)
        probe.start()
        probe.pytest_xdist_node_collection_finished(None, ["test_a.py::test_logout"])
        assert probe._remover is not None
        probe._remover.join()
        assert _library_names(server.url) == []
        probe.pytest_sessionfinish(None)  # type: ignore[arg-type]


def test_the_expiry_test_is_the_one_the_probe_waits_for() -> None:
    import conformance.suites

    module = Path(conformance.suites.__file__).parent / "test_update_session.py"
    assert f"def {EXPIRY_TEST}(" in module.read_text(encoding="utf-8")


# -- the bundled mock's settings and the parallel dispatch order ---------------------------
def test_the_bundled_mock_gets_a_short_timeout_and_pause_unless_told_otherwise() -> None:
    settings = load_config(env={}, overrides={})
    assert settings.keepalive_pause == DEFAULT_KEEPALIVE_WAIT
    with _target(settings) as live:
        assert live.session_timeout == BUNDLED_MOCK_SESSION_TIMEOUT
        assert live.keepalive_pause == BUNDLED_MOCK_KEEPALIVE_WAIT
    told = load_config(env={}, overrides={"session_timeout": 20, "keepalive_wait": 1.5})
    with _target(told) as live:
        assert (live.session_timeout, live.keepalive_pause) == (20, 1.5)
    remote = load_config(env={}, overrides={"target": "https://vc.example.com", "password": "x"})
    with _target(remote) as live:
        assert live.keepalive_pause == DEFAULT_KEEPALIVE_WAIT  # whole seconds on a vCenter


def test_a_parallel_run_hands_out_long_tests_first_and_the_expiry_test_last() -> None:
    from conformance.suites.conftest import _dispatch_order

    def item(*markers: str) -> Any:
        return SimpleNamespace(
            get_closest_marker=lambda name: object() if name in markers else None
        )

    order = [item("long"), item(), item("judged_last"), item("long", "fuzz")]
    ranked = sorted(range(4), key=lambda n: _dispatch_order(order[n]))  # type: ignore[arg-type]
    assert ranked == [0, 3, 1, 2]


def test_a_serial_run_that_selects_tests_leaves_the_probe_to_the_suite() -> None:
    import argparse

    from conformance.cli import _selects_tests

    settings = load_config(env={}, overrides={})
    plain = argparse.Namespace(k=None, pytest_args=[])
    assert not _selects_tests(settings, plain)  # the default run: made up front
    assert _selects_tests(settings, argparse.Namespace(k="logout", pytest_args=[]))
    assert _selects_tests(settings, argparse.Namespace(k=None, pytest_args=["-m", "x"]))
    chosen = load_config(env={}, overrides={"requirements": ["US-LIST"]})
    assert _selects_tests(chosen, plain)
    remote = load_config(env={}, overrides={"target": "https://vc.example.com", "password": "x"})
    probe = ControllerExpiryProbe(remote, 1, lambda _e: None, lambda _m: None)
    probe.pytest_sessionstart(_serial_session([]))  # type: ignore[arg-type]
    assert not probe.started  # pytest starting a serial run does not make it


# -- starting and ending a worker ---------------------------------------------------------
def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_garbage_collection_pauses_while_pytest_starts_and_resumes_with_the_tests() -> None:
    ran = _python(
        "import gc\n"
        "from conformance.suites import _startup\n"
        "paused = not gc.isenabled()\n"
        "_startup.pytest_runtestloop(None)\n"
        "print(paused, gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    assert ran.stdout.split() == ["True", "True", "True"], ran.stderr


def test_a_run_that_never_reaches_its_tests_still_resumes_garbage_collection() -> None:
    ran = _python(
        "import gc\n"
        "from conformance.suites import _startup\n"
        "_startup.pytest_unconfigure(None)\n"
        "print(gc.isenabled())\n"
    )
    assert ran.stdout.split() == ["True"], ran.stderr


def test_a_worker_ends_at_once_after_the_exit_handlers_registered_after_its_start() -> None:
    """Handlers registered later (modules a test imported) still run; the process then ends
    with status 0 before Python tears down its modules (or runs earlier handlers)."""
    ran = _python(
        "import atexit\n"
        "from conformance.suites._parallel import exit_promptly_when_done\n"
        "atexit.register(print, 'registered before the worker configured')\n"
        "exit_promptly_when_done()\n"
        "atexit.register(print, 'registered during the tests')\n"
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["registered during the tests"]
