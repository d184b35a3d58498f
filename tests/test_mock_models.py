"""The mock's models, clock and errors in-process (no HTTP), and its import boundary."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from conformance.mock import FakeClock, MockSettings, SystemClock, errors
from conformance.mock.clock import format_time
from conformance.mock.models import (
    DOWNLOAD_TRANSITIONS,
    UPDATE_DELETABLE,
    UPDATE_TRANSITIONS,
    Backend,
    DownloadState,
    UpdateState,
)
from conformance.mock.models.files import SourceType, TransferEndpoint
from conformance.mock.models.library import StorageBacking
from conformance.mock.models.update_files import AddSpec

MOCK_DIR = Path(__file__).resolve().parents[1] / "conformance" / "mock"


def _backend(**settings: object) -> Backend:
    return Backend(MockSettings(clock=FakeClock(), **settings))  # type: ignore[arg-type]


def _item(backend: Backend) -> str:
    library_id = backend.library.create_library(
        "lib", None, [StorageBacking("DATASTORE", "datastore-101")], None
    )
    return backend.library.create_item(library_id, "item", None, None, None)


def test_update_transitions_are_active_only() -> None:
    assert {state for state, _ in UPDATE_TRANSITIONS} == {UpdateState.ACTIVE}
    assert UPDATE_TRANSITIONS[(UpdateState.ACTIVE, "complete")] is UpdateState.DONE
    assert UPDATE_TRANSITIONS[(UpdateState.ACTIVE, "cancel")] is UpdateState.CANCELED
    assert UPDATE_TRANSITIONS[(UpdateState.ACTIVE, "fail")] is UpdateState.ERROR
    assert {op for _, op in UPDATE_TRANSITIONS} == {
        "complete",
        "cancel",
        "fail",
        "keep_alive",
        "update",
    }
    assert UpdateState.ACTIVE not in UPDATE_DELETABLE
    assert set(UPDATE_DELETABLE) | {UpdateState.ACTIVE} == set(UpdateState)


def test_download_transitions_have_no_done() -> None:
    assert {state for state, _ in DOWNLOAD_TRANSITIONS} == {DownloadState.ACTIVE}
    assert set(DOWNLOAD_TRANSITIONS.values()) == set(DownloadState)


def test_backend_update_session_lifecycle_in_process() -> None:
    backend = _backend()
    item_id = _item(backend)
    sessions = backend.update_sessions
    session_id = sessions.create(item_id, None)
    with pytest.raises(errors.ResourceBusy):
        sessions.create(item_id, None)
    with pytest.raises(errors.NotAllowedInCurrentState):
        sessions.delete(session_id)
    sessions.complete(session_id)
    assert sessions.find(session_id).state is UpdateState.DONE
    assert backend.library.get_item(item_id).content_version == 2
    sessions.delete(session_id)
    with pytest.raises(errors.NotFound):
        sessions.find(session_id)


def _pull_spec(name: str) -> AddSpec:
    return AddSpec(name, SourceType.PULL, TransferEndpoint("http://127.0.0.1:9/" + name))


def test_complete_waits_for_a_pull_and_settles_when_the_store_hears_it_ended(
    tmp_path: Path,
) -> None:
    """complete -> settle -> commit runs one way: the file service records the PULL's
    end, the store (which owns the service) moves the session and has the bytes committed."""
    backend = _backend(data_dir=str(tmp_path))
    item_id = _item(backend)
    sessions = backend.update_sessions
    assert sessions.files is backend.update_files
    session_id = sessions.create(item_id, None)
    sessions.files.add(session_id, _pull_spec("a.iso"), "http://mock")
    transfer = sessions.files.begin_pull(session_id, "a.iso")
    sessions.complete(session_id)
    session = sessions.find(session_id)
    assert (session.state, session.completing) == (UpdateState.ACTIVE, True)
    transfer.receiver.write(b"pulled bytes")
    sessions.finish(transfer)
    assert (session.state, session.completing) == (UpdateState.DONE, False)
    item = backend.library.get_item(item_id)
    assert item.content_version == 2
    assert item.files["a.iso"].data.read_bytes() == b"pulled bytes"


def test_a_pull_that_breaks_after_complete_fails_the_session(tmp_path: Path) -> None:
    backend = _backend(data_dir=str(tmp_path))
    item_id = _item(backend)
    sessions = backend.update_sessions
    session_id = sessions.create(item_id, None)
    sessions.files.add(session_id, _pull_spec("a.iso"), "http://mock")
    transfer = sessions.files.begin_pull(session_id, "a.iso")
    sessions.complete(session_id)
    sessions.abort(transfer, "source unreachable")
    session = sessions.find(session_id)
    assert session.state is UpdateState.ERROR
    assert session.error_message is not None
    assert "source unreachable" in session.error_message.default_message
    assert backend.library.get_item(item_id).files == {}


def test_readiness_reports_the_files_and_changes_nothing(tmp_path: Path) -> None:
    backend = _backend(data_dir=str(tmp_path))
    sessions = backend.update_sessions
    session_id = sessions.create(_item(backend), None)
    files = sessions.files
    files.add(session_id, AddSpec("waiting.iso", SourceType.PUSH), "http://mock")
    files.add(session_id, _pull_spec("pulling.iso"), "http://mock")
    files.begin_pull(session_id, "pulling.iso")
    broken = files.add(session_id, _pull_spec("broken.iso"), "http://mock")
    files.broken(files.begin_pull(session_id, "broken.iso"), "gone")
    session = sessions.find(session_id)
    readiness = files.readiness(session)
    assert readiness.missing == ("waiting.iso",)
    assert readiness.failed is not None and "gone" in readiness.failed
    assert broken.error_message is not None
    assert readiness.failed == broken.error_message.default_message
    assert (readiness.latent, readiness.pulling, readiness.transferring) == (None, True, True)
    assert (session.state, session.completing, session.error_message) == (
        UpdateState.ACTIVE,
        False,
        None,
    )


def test_backend_session_timeout_comes_from_settings() -> None:
    backend = _backend(session_timeout=10.0)
    session_id = backend.update_sessions.create(_item(backend), None)
    assert backend.update_sessions.find(session_id).expires_at == backend.clock.now() + 10
    backend.advance_clock(10.5)
    assert not backend.update_sessions.exists(session_id)


def test_backend_flawed_rejects_names_not_in_the_table() -> None:
    backend = _backend()
    with pytest.raises(KeyError):
        backend.flawed("not-a-flaw")
    with pytest.raises(ValueError):
        backend.set_flaws({"not-a-flaw"})
    backend.set_flaws({"cancel-to-error"})
    assert backend.flawed("cancel-to-error")


def test_backend_reset_keeps_settings_and_time() -> None:
    backend = _backend(flaws=frozenset({"get-includes-id"}))
    backend.set_flaws(set())
    _item(backend)
    backend.advance_clock(50)
    now = backend.clock.now()
    backend.reset()
    assert backend.flaws == {"get-includes-id"}
    assert backend.clock.now() == now
    assert backend.dump()["items"] == []


def test_backend_on_the_real_clock_cannot_advance() -> None:
    backend = Backend(MockSettings())
    assert isinstance(backend.clock, SystemClock)
    with pytest.raises(TypeError):
        backend.advance_clock(1)


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock(100.0)
    assert clock.advance(2.5) == 102.5 == clock.now()
    with pytest.raises(ValueError):
        clock.advance(-1)


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_735_689_600.0, "2025-01-01T00:00:00.000Z"),
        (1_735_689_600.1239, "2025-01-01T00:00:00.123Z"),
        (1_735_689_659.9999, "2025-01-01T00:00:59.999Z"),
    ],
)
def test_format_time_is_utc_with_milliseconds(ts: float, text: str) -> None:
    assert format_time(ts) == text
    assert format_time(ts, zone=False) == text[:-1]


@pytest.mark.parametrize(
    ("cls", "status", "error_type"),
    [
        (errors.NotFound, 404, "NOT_FOUND"),
        (errors.NotAllowedInCurrentState, 400, "NOT_ALLOWED_IN_CURRENT_STATE"),
        (errors.InvalidArgument, 400, "INVALID_ARGUMENT"),
        (errors.Unauthenticated, 401, "UNAUTHENTICATED"),
        (errors.AlreadyExists, 400, "ALREADY_EXISTS"),
        (errors.ResourceBusy, 500, "RESOURCE_BUSY"),
        (errors.Unsupported, 400, "UNSUPPORTED"),
        (errors.InvalidElementType, 400, "INVALID_ELEMENT_TYPE"),
        (errors.ServiceUnavailable, 503, "SERVICE_UNAVAILABLE"),
        (errors.InternalServerError, 500, "INTERNAL_SERVER_ERROR"),
        (errors.OperationNotFound, 404, "OPERATION_NOT_FOUND"),
    ],
)
def test_error_classes_carry_spec_status(
    cls: type[errors.VapiError], status: int, error_type: str
) -> None:
    assert (cls.status, cls.error_type) == (status, error_type)
    error = cls(errors.Message("a.b", "text", ("x",)))
    assert error.body() == {
        "error_type": error_type,
        "messages": [{"id": "a.b", "default_message": "text", "args": ["x"]}],
    }
    assert error.legacy_type == "com.vmware.vapi.std.errors." + error_type.lower()


def test_nacs_message_has_operation_and_state_args() -> None:
    error = errors.not_allowed("complete", "ERROR", "import session")
    message = error.messages[0]
    assert message.args == ("complete", "ERROR")
    assert message.default_message == (
        "The operation complete can not be invoked when the import session is in the ERROR state."
    )


def _imports(path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(MOCK_DIR.parents[1]).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.append(f"{base}.{node.module}" if node.module else base)
            else:
                names.append(node.module or "")
    return names


def test_mock_imports_only_stdlib_starlette_uvicorn_orjson_and_itself() -> None:
    allowed_third_party = {"starlette", "uvicorn", "orjson"}  # orjson: JSON answers (speed)
    for path in sorted(MOCK_DIR.rglob("*.py")):
        # tls.py alone needs cryptography; only ``mock --tls`` imports it. direct.py drives
        # uvicorn's own HTTP parser (httptools, uvicorn[standard]'s) and catches its errors.
        allowed = allowed_third_party | ({"cryptography"} if path.name == "tls.py" else set())
        allowed |= {"httptools"} if path.name == "direct.py" else set()
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "conformance":
                assert name.startswith("conformance.mock"), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names or top in allowed, (
                    f"{path.name} imports {name}"
                )
