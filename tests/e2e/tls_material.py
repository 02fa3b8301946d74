"""Certificates for TLS tests, made fresh in each test (no key is ever committed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from opencsms.security.certificates import (
    CertificateAuthority,
    build_csr,
    certificate_pem,
    generate_key,
    key_pem,
)


@dataclass(frozen=True)
class TlsMaterial:
    folder: Path
    ca: CertificateAuthority
    ca_file: Path
    server_cert: Path
    server_key: Path

    def listeners(self, *profiles: int) -> str:
        """A listener list with one listener per profile, on free ports, TLS files from here."""
        parts = []
        for profile in profiles:
            part = f"0 profile={profile}"
            if profile >= 2:
                part += f" cert={self.server_cert} key={self.server_key}"
            if profile == 3:
                part += f" ca={self.ca_file}"
            parts.append(part)
        return "; ".join(parts)

    def station_files(
        self,
        name: str,
        common_name: str,
        *,
        issuer: CertificateAuthority | None = None,
        now: dt.datetime | None = None,
        days: int = 30,
    ) -> tuple[Path, Path]:
        """A station certificate and key, written to files (``issuer`` defaults to the CSMS CA)."""
        key = generate_key()
        certificate = (issuer or self.ca).sign_station_csr(
            build_csr(key, common_name), common_name, days=days, now=now
        )
        return self.write(name, certificate, key)

    def write(self, name: str, certificate: x509.Certificate, key: object) -> tuple[Path, Path]:
        cert_file, key_file = self.folder / f"{name}.pem", self.folder / f"{name}.key"
        cert_file.write_text(certificate_pem(certificate))
        key_file.write_bytes(key_pem(key))  # type: ignore[arg-type]
        return cert_file, key_file


def make_tls_material(folder: Path) -> TlsMaterial:
    folder.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.create("test CSMS CA")
    ca_file = folder / "ca.pem"
    ca_file.write_text(ca.pem)
    server_key = generate_key()
    server = ca.issue_server_certificate(server_key, ["127.0.0.1", "localhost"])
    server_cert, server_key_file = folder / "server.pem", folder / "server.key"
    server_cert.write_text(certificate_pem(server) + ca.pem)
    server_key_file.write_bytes(key_pem(server_key))
    return TlsMaterial(folder, ca, ca_file, server_cert, server_key_file)
