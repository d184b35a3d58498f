"""A throwaway certificate authority and server certificate, so the mock can speak HTTPS.

``make_certificates(directory)`` writes three PEM files and returns their paths:

* ``ca.pem``: the self-signed CA certificate, for clients (``--ca-bundle``,
  ``requests``' ``verify=``);
* ``server.pem``: the server certificate, signed by that CA, valid for ``localhost``,
  ``127.0.0.1`` and ``::1`` (and any extra ``hosts``);
* ``server-key.pem``: its private key (mode 0600), unencrypted.

Each call makes a new CA (files already there are replaced), so only the ``ca.pem`` of
the same call trusts the server. Keys are ECDSA P-256: fast to make, and accepted by
every TLS stack. This module needs ``cryptography``; nothing else in the mock imports
it, so the mock runs without it as long as TLS is not asked for.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CA_FILE", "CERT_FILE", "DEFAULT_HOSTS", "KEY_FILE", "TlsFiles", "make_certificates"]

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


class TlsFiles(NamedTuple):
    """Paths of the PEM files ``make_certificates`` wrote."""

    ca: Path
    cert: Path
    key: Path


def make_certificates(
    directory: str | os.PathLike[str],
    *,
    hosts: Iterable[str] = (),
    valid_days: int = 365,
) -> TlsFiles:
    """Write a new CA and a server certificate for ``DEFAULT_HOSTS`` + ``hosts``.

    ``directory`` is created if needed. Host names that parse as IP addresses become IP
    subject alternative names, the others DNS names; wildcard bind addresses (``0.0.0.0``,
    ``::``) are skipped, since no client connects to them by that name.
    """
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    not_before = now - datetime.timedelta(hours=1)  # tolerate a client clock slightly behind
    not_after = now + datetime.timedelta(days=valid_days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vcenter-conformance mock"),
            x509.NameAttribute(NameOID.COMMON_NAME, "vcenter-conformance mock CA"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vcenter-conformance mock"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    files = TlsFiles(folder / CA_FILE, folder / CERT_FILE, folder / KEY_FILE)
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(files.key, key_pem)
    return files


def _alt_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for host in (*DEFAULT_HOSTS, *hosts):
        host = host.strip().strip("[]")
        if not host or host in seen:
            continue
        seen.add(host)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            names.append(x509.DNSName(host))
            continue
        if not address.is_unspecified:
            names.append(x509.IPAddress(address))
    return names


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only, also when ``path`` already exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        if hasattr(os, "fchmod"):  # not on Windows before 3.13
            os.fchmod(out.fileno(), 0o600)
        out.write(data)
