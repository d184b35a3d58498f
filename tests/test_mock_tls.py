"""The mock over HTTPS with a certificate from ``conformance.mock.tls``."""

from __future__ import annotations

import ipaddress
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import urllib3
from cryptography import x509
from mock_fixtures import PASSWORD, USER

from conformance.client import VcenterClient
from conformance.mock import MockServer, MockSettings
from conformance.mock.faults import Faults
from conformance.mock.tls import TlsFiles, make_certificates

SESSION = "/api/session"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_certificates(tmp_path_factory.mktemp("tls") / "certs")


@pytest.fixture(scope="module")
def https_server(tls_files: TlsFiles) -> Iterator[MockServer]:
    server = MockServer(
        MockSettings(user=USER, password=PASSWORD),
        ssl_certfile=str(tls_files.cert),
        ssl_keyfile=str(tls_files.key),
    )
    with server:
        yield server


def login(url: str, verify: bool | str) -> requests.Response:
    return requests.post(url + SESSION, auth=(USER, PASSWORD), verify=verify, timeout=5)


def test_certificates_are_written_where_promised(tls_files: TlsFiles) -> None:
    folder = tls_files.ca.parent
    assert tls_files == (folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    assert stat.S_IMODE(tls_files.key.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(tls_files.ca.read_bytes())
    cert = x509.load_pem_x509_certificate(tls_files.cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]


def test_https_mock_is_trusted_with_the_ca_file(
    https_server: MockServer, tls_files: TlsFiles
) -> None:
    assert https_server.url.startswith("https://127.0.0.1:")
    assert login(https_server.url, str(tls_files.ca)).status_code == 201
    by_name = f"https://localhost:{https_server.port}"
    assert login(by_name, str(tls_files.ca)).status_code == 201


def test_https_mock_is_not_trusted_by_the_system_cas(https_server: MockServer) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        login(https_server.url, True)


def test_https_mock_without_verification(https_server: MockServer) -> None:
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert login(https_server.url, False).status_code == 201


def test_the_suite_client_logs_in_with_the_ca_bundle(
    https_server: MockServer, tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a *session's* verify
    # (the client sets ``Session.verify``), so unset them to test the CA file alone.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = VcenterClient(https_server.url, USER, PASSWORD, verify=str(tls_files.ca), timeout=5)
    try:
        client.login()
        assert client.request("GET", SESSION).status == 200
        client.logout()
    finally:
        client.close()


def test_faults_work_over_tls(https_server: MockServer, tls_files: TlsFiles) -> None:
    https_server.backend.set_faults(Faults(drop_every=1, include_login=True))
    try:
        with pytest.raises(requests.ConnectionError):
            login(https_server.url, str(tls_files.ca))
        https_server.backend.set_faults(Faults(unavailable_every=1, include_login=True))
        assert login(https_server.url, str(tls_files.ca)).status_code == 503
    finally:
        https_server.backend.set_faults(None)
    assert login(https_server.url, str(tls_files.ca)).status_code == 201


def test_extra_hosts_and_a_fresh_ca_per_call(tmp_path: Path, tls_files: TlsFiles) -> None:
    files = make_certificates(tmp_path, hosts=["mock.example", "10.1.2.3", "0.0.0.0", "[::]"])
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "mock.example"]
    assert ipaddress.ip_address("10.1.2.3") in san.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("0.0.0.0") not in san.get_values_for_type(x509.IPAddress)
    assert files.ca.read_bytes() != tls_files.ca.read_bytes()
    again = make_certificates(tmp_path)  # replaces the files, key still private
    assert again == files
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="valid_days"):
        make_certificates(tmp_path, valid_days=0)
