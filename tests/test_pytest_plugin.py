"""The ``vcenter_mock`` pytest plugin: in this run (it is installed) and in a user's own run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from conformance.pytest_plugin import VcenterMock

USER_TEST = """
import requests
from com.vmware.content.library.item_client import UpdateSession, UpdateSessionModel
from com.vmware.content.library_client import Item
from com.vmware.cis_client import Session
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.session import create_session_security_context
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory


def test_my_automation_against_the_mock(vcenter_mock):
    item_id = vcenter_mock.seed_item(name="golden.iso", files={"golden.iso": b"data"})
    connector = get_requests_connector(session=requests.Session(), url=vcenter_mock.url + "/api")
    config = StubConfigurationFactory.new_std_configuration(connector)
    connector.set_security_context(
        create_user_password_security_context(vcenter_mock.user, vcenter_mock.password)
    )
    connector.set_security_context(create_session_security_context(Session(config).create()))
    assert Item(config).get(item_id).name == "golden.iso"
    session_id = UpdateSession(config).create(UpdateSessionModel(library_item_id=item_id))
    vcenter_mock.advance(301)
    assert UpdateSession(config).list() == []
    vcenter_mock.reset()


def test_the_mock_is_shared(vcenter_mock):
    assert vcenter_mock.backend.update_sessions.list_ids(None) == []
"""

UNUSED = """
import sys


def test_nothing_asks_for_the_mock(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("vcenter_conformance_mock")
    assert "conformance.mock" not in sys.modules
"""


def test_a_users_test_gets_the_mock_from_the_installed_plugin(tmp_path: Path) -> None:
    """pytest in a directory of its own (no project ini): the plugin comes by entry point.

    ``test_a_unused.py`` runs first and sees the plugin registered but the mock not
    imported; then ``test_b_user.py`` drives the SDK against the fixture.
    """
    (tmp_path / "test_a_unused.py").write_text(textwrap.dedent(UNUSED), encoding="utf-8")
    (tmp_path / "test_b_user.py").write_text(textwrap.dedent(USER_TEST), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout, done.stdout


def test_vcenter_mock_seeds_items_with_content(vcenter_mock: VcenterMock) -> None:
    vcenter_mock.reset()
    item_id = vcenter_mock.seed_item(files={"a.bin": b"abc", "b.bin": b"defg"})
    http = requests.Session()
    http.headers["vmware-api-session-id"] = http.post(
        vcenter_mock.url + "/api/session", auth=(vcenter_mock.user, vcenter_mock.password)
    ).json()
    listed = http.get(f"{vcenter_mock.url}/api/content/library/item/{item_id}/file").json()
    assert sorted((f["name"], f["size"]) for f in listed) == [("a.bin", 3), ("b.bin", 4)]
    assert http.get(f"{vcenter_mock.url}/api/content/library/item/update-session").json() == []
    vcenter_mock.reset()
    assert http.get(vcenter_mock.url + "/api/session").status_code == 401


def test_vcenter_mock_tls_is_verified_with_its_ca(vcenter_mock_tls: VcenterMock) -> None:
    assert vcenter_mock_tls.url.startswith("https://127.0.0.1:")
    assert vcenter_mock_tls.ca_bundle is not None
    with requests.Session() as http:
        http.trust_env = False
        http.verify = vcenter_mock_tls.ca_bundle
        login = http.post(
            vcenter_mock_tls.url + "/api/session",
            auth=(vcenter_mock_tls.user, vcenter_mock_tls.password),
        )
    assert login.status_code == 201
    item_id = vcenter_mock_tls.seed_item(files={"x": b"y"})
    assert vcenter_mock_tls.backend.library.get_item(item_id).size == 1


def test_vcenter_mock_flaws_and_clock(vcenter_mock: VcenterMock) -> None:
    vcenter_mock.reset()
    vcenter_mock.set_flaws("get-includes-id")
    assert vcenter_mock.backend.flawed("get-includes-id")
    vcenter_mock.set_flaws()
    assert not vcenter_mock.backend.flawed("get-includes-id")
    before = vcenter_mock.clock.now()
    vcenter_mock.advance(10)
    assert vcenter_mock.clock.now() - before == pytest.approx(10)
