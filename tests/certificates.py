"""A test certificate authority, and a server certificate it signs, made fresh by the test that needs them."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def make_ca(directory: Path, names: tuple[str, ...] = LOOPBACK_NAMES) -> tuple[Path, Path, Path]:
    """ca.pem, server.pem and server.key in `directory`: the server's certificate is valid for `names`
    (host names or IP addresses) for an hour."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "image-processor test CA")])
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    ca = _valid(x509.CertificateBuilder().subject_name(ca_name).public_key(ca_key.public_key()), ca_name, now)
    ca = ca.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    server = _valid(x509.CertificateBuilder().subject_name(server_name).public_key(key.public_key()),
                    ca_name, now)
    server = server.add_extension(x509.SubjectAlternativeName([_name(n) for n in names]), critical=False)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths





def _valid(builder: x509.CertificateBuilder, issuer: x509.Name, now: dt.datetime) -> x509.CertificateBuilder:
    """Issued by `issuer`, valid from an hour ago for two hours."""
    return (builder.issuer_name(issuer).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(hours=1)))


def _name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
