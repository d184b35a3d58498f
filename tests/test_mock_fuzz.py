"""Bad request bodies never make the mock answer 500 or anything but a vAPI JSON error.

Two ways in: every position of a complete, valid body replaced by each of a set of
wrong values (exhaustive), and random JSON bodies from Hypothesis.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from mock_fixtures import DATASTORE, DS, ITEM, LIB, US, Api

from conformance.mock import MockServer

pytest_plugins = ["mock_fixtures"]

STAMP = "2025-01-01T00:00:00.000Z"
MESSAGE = {
    "id": "m",
    "default_message": "d",
    "args": ["a"],
    "params": {
        "p": {
            "s": "x",
            "dt": STAMP,
            "i": 1,
            "d": 1.5,
            "l": {"id": "n", "params": {}},
            "format": "SHORT_DATE",
            "precision": 2,
        }
    },
    "localized": "x",
}
SESSION = {
    "id": "x",
    "library_item_content_version": "1",
    "error_message": MESSAGE,
    "client_progress": 5,
    "state": "ACTIVE",
    "expiration_time": STAMP,
}
UPDATE_SESSION = {
    **SESSION,
    "preview_info": {
        "state": "AVAILABLE",
        "certificate_info": {"issuer": "i", "subject": "s", "self_signed": True, "x509": "p"},
        "warnings": [
            {
                "type": "EXPIRED_CERTIFICATE",
                "message": {"id": "w", "default_message": "w", "args": []},
                "ignored": False,
            }
        ],
        "cert_chain": ["c"],
    },
    "warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": True}],
}
LIBRARY = {
    "name": "n",
    "description": "d",
    "type": "LOCAL",
    "storage_backings": [{"type": "DATASTORE", "datastore_id": DATASTORE, "storage_uri": "u"}],
    "creation_time": STAMP,
    "publish_info": {},
    "unset_security_policy_id": False,
}
ITEM_BODY = {"name": "n", "description": "d", "type": "iso", "size": 0, "cached": True}

#: name -> (method, path template, complete valid body; "{item}" etc. filled in per case)
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "library-create": ("POST", LIB, LIBRARY),
    "item-create": ("POST", ITEM, {**ITEM_BODY, "library_id": "{library}"}),
    "update-create": ("POST", US, {**UPDATE_SESSION, "library_item_id": "{item}"}),
    "update-patch": ("PATCH", US + "/{us}", UPDATE_SESSION),
    "update-fail": ("POST", US + "/{us}?action=fail", {"client_error_message": "x"}),
    "update-keep-alive": ("POST", US + "/{us}?action=keep-alive", {"client_progress": 5}),
    "download-create": ("POST", DS, {**SESSION, "library_item_id": "{item}"}),
    "download-fail": ("POST", DS + "/{ds}?action=fail", {"client_error_message": "x"}),
    "download-keep-alive": ("POST", DS + "/{ds}?action=keep-alive", {"progress": 5}),
}
WRONG_VALUES: list[Any] = [None, {}, [None], "x", -1, 1.5, True]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in a JSON value (the root excluded)."""
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _assert_not_a_crash(response: requests.Response) -> None:
    assert response.status_code in (200, 201, 204, 400, 404, 500), response.text
    if response.status_code == 204:
        return
    assert response.headers["content-type"] == "application/json"
    if response.status_code >= 400:
        error_type = response.json()["error_type"]
        if response.status_code == 500:
            assert error_type == "RESOURCE_BUSY", response.text


@pytest.fixture(scope="module")
def fuzz_api(mock_server: MockServer) -> Iterator[Api]:
    """One logged-in client for the module (module scope also suits Hypothesis)."""
    mock_server.backend.reset()
    api = Api(mock_server.url)
    api.login()
    yield api
    api.close()


def _make_ids(api: Api) -> dict[str, str]:
    library_id = api.library(str(uuid.uuid4()))
    busy_item = api.item(library_id, "busy")
    return {
        "library": library_id,
        "item": api.item(library_id, "free"),
        "us": api.update_session(busy_item),
        "ds": api.download_session(busy_item),
    }


@pytest.fixture(scope="module")
def ids(fuzz_api: Api) -> dict[str, str]:
    """Objects the bodies and paths refer to, made once: bodies are checked first anyway."""
    return _make_ids(fuzz_api)


def _send(api: Api, ids: dict[str, str], operation: str, body: Any) -> requests.Response:
    method, template, _ = OPERATIONS[operation]
    return api.request(method, template.format(**ids), json=_fill(body, ids))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_complete_valid_bodies_are_accepted(fuzz_api: Api, operation: str) -> None:
    response = _send(fuzz_api, _make_ids(fuzz_api), operation, OPERATIONS[operation][2])
    assert response.status_code in (201, 204), response.text


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_wrong_value_anywhere_in_a_body_is_never_a_crash(
    fuzz_api: Api, ids: dict[str, str], operation: str
) -> None:
    body = OPERATIONS[operation][2]
    for path in _paths(body):
        for wrong in WRONG_VALUES:
            _assert_not_a_crash(_send(fuzz_api, ids, operation, _replace(body, path, wrong)))


FIELDS = [
    "library_item_id", "library_id", "name", "type", "description", "storage_backings",
    "datastore_id", "warning_behavior", "ignored", "client_progress", "progress", "state",
    "expiration_time", "error_message", "id", "default_message", "args", "params",
    "preview_info", "certificate_info", "warnings", "client_error_message", "size", "cached",
]  # fmt: skip
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["ACTIVE", "DATASTORE", "EXPIRED_CERTIFICATE", STAMP, "{item}"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    operation=st.sampled_from(sorted(OPERATIONS)),
    body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values,
)
def test_random_bodies_never_crash_the_mock(
    fuzz_api: Api, ids: dict[str, str], operation: str, body: Any
) -> None:
    _assert_not_a_crash(_send(fuzz_api, ids, operation, body))
