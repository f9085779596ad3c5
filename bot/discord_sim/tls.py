"""TLS on loopback for the stand-in's voice gateway: a throwaway certificate authority.

discord.py always opens the voice websocket as `wss://`, so the stand-in's voice servers speak
TLS. `LoopbackCA` makes a CA and a server certificate for 127.0.0.1 in memory (P-256, valid for
a day); `server_context()` serves with it and `client_context()` trusts it, which is the one
thing a client of the stand-in must be given besides the base URLs (`DiscordSim.connector()`).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_FOR = datetime.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class LoopbackCA:
    """A certificate authority and one server certificate for the loopback address."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        self._server_key = ec.generate_private_key(ec.SECP256R1())

    @cached_property
    def ca_certificate(self) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(_name("Voxhall Discord stand-in CA"))
            .issuer_name(_name("Voxhall Discord stand-in CA"))
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )

    @cached_property
    def server_certificate(self) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        names = [x509.IPAddress(ipaddress.ip_address(self.host)), x509.DNSName("localhost")]
        return (
            x509.CertificateBuilder()
            .subject_name(_name(self.host))
            .issuer_name(self.ca_certificate.subject)
            .public_key(self._server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )

    def ca_pem(self) -> str:
        return self.ca_certificate.public_bytes(serialization.Encoding.PEM).decode()

    def server_context(self) -> ssl.SSLContext:
        """What the voice servers serve with."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        chain = self.server_certificate.public_bytes(serialization.Encoding.PEM)
        with tempfile.TemporaryDirectory() as folder:  # ssl loads a chain only from files
            certificate, key = Path(folder) / "server.pem", Path(folder) / "server.key"
            certificate.write_bytes(chain)
            key.write_bytes(_pem(self._server_key))
            context.load_cert_chain(certificate, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that verifies certificates and trusts this CA (only)."""
        return ssl.create_default_context(cadata=self.ca_pem())
