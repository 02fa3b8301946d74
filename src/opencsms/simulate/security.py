"""A simulated station's security, whatever its OCPP version: the profile it connects with, its
Basic auth password, its TLS client context, its key pair and certificate, the CSRs it sends and
the root certificates installed on it.

A new key is made for every CSR; a signed certificate is taken only if it carries that key and
names the station, and only then replaces the one in use (A02.FR.16 / 1.6 whitepaper § 3.2).
Certificates live in memory; TLS needs files, so they are written to a private temporary folder
when a context is built.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from opencsms.security.certificates import (
    PrivateKey,
    build_csr,
    certificate_hash_data,
    certificate_pem,
    common_name,
    generate_key,
    key_pem,
)
from opencsms.simulate.state import StationConfig

#: 1.6 spells the CSMS root CentralSystemRootCertificate; 2.0.1 CSMSRootCertificate.
CSMS_ROOT_TYPES = ("CSMSRootCertificate", "CentralSystemRootCertificate")


@dataclass
class StationSecurity:
    station_id: str
    profile: int
    password: str | None
    ca_cert: str | None
    certificate: x509.Certificate | None = None
    key: PrivateKey | None = None
    pending_key: PrivateKey | None = None
    #: certificate type -> root certificates installed
    installed: dict[str, list[x509.Certificate]] = field(default_factory=dict)
    #: the CSMS endpoint (without the station id) after an upgrade; "" for the configured one
    url: str = ""
    #: 1.6: the endpoint for each security profile, for a SecurityProfile upgrade
    profile_urls: dict[int, str] = field(default_factory=dict)
    #: (profile, url) to use from the next connection on, after an accepted upgrade
    next_connection: tuple[int, str] | None = None
    _folder: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def from_config(cls, config: StationConfig) -> StationSecurity:
        """Raises OSError or ValueError: a certificate or key file is unreadable or not PEM."""
        profile = config.security_profile
        if profile is None:
            profile = 1 if config.password else 0
        security = cls(config.station_id, profile, config.password, config.ca_cert)
        security.profile_urls = dict(config.profile_urls)
        if config.client_cert and config.client_key:
            security.certificate = x509.load_pem_x509_certificate(Path(config.client_cert).read_bytes())
            key = serialization.load_pem_private_key(Path(config.client_key).read_bytes(), password=None)
            security.key = key  # type: ignore[assignment]
        if config.ca_cert:
            roots = x509.load_pem_x509_certificates(Path(config.ca_cert).read_bytes())
            security.installed["CSMSRootCertificate"] = roots
        return security

    # -- connecting ---------------------------------------------------------------------------------

    def can_use_profile(self, profile: int) -> bool:
        """Whether this station has what ``profile`` needs: a password (1, 2), a certificate (3)."""
        if profile in (1, 2):
            return self.password is not None
        if profile == 3:
            return self.certificate is not None and self.key is not None
        return profile == 0

    def upgrade_v16(self, value: str) -> str:
        """1.6 ChangeConfiguration SecurityProfile (whitepaper § 2.4): Accepted for a higher profile
        the station can use and knows an endpoint for, applied at the next connection; Rejected
        for a lower or equal one (no downgrade) or one it cannot use."""
        try:
            profile = int(value)
        except ValueError:
            return "Rejected"
        url = self.profile_urls.get(profile)
        if profile <= self.profile or profile > 3 or url is None or not self.can_use_profile(profile):
            return "Rejected"
        self.next_connection = (profile, url)
        return "Accepted"

    def take_authorization_key(self, value: str) -> str:
        """1.6 ChangeConfiguration AuthorizationKey: the hex-encoded password of 16-20 bytes."""
        try:
            password = bytes.fromhex(value).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            return "Rejected"
        if not 16 <= len(password) <= 20 or not password.isprintable():
            return "Rejected"
        self.password = password
        return "Accepted"

    def apply_next_connection(self) -> None:
        """Switch to the profile and endpoint of an accepted upgrade (before reconnecting)."""
        if self.next_connection is not None:
            self.profile, self.url = self.next_connection
            self.next_connection = None

    def handshake_headers(self) -> dict[str, str]:
        """Basic auth for profiles 0-2 when a password is set; profile 3 authenticates by certificate."""
        if self.password is None or self.profile == 3:
            return {}
        secret = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {secret}"}

    def ssl_context(self) -> ssl.SSLContext:
        """A client context: TLS 1.2+, the CSMS's certificate checked against the installed CSMS
        roots (or the system's), and the station certificate at profile 3."""
        folder = self._files()
        roots = [c for kind in CSMS_ROOT_TYPES for c in self.installed.get(kind, [])]
        if roots:
            ca_file = folder / "roots.pem"
            ca_file.write_text("".join(certificate_pem(c) for c in roots))
            context = ssl.create_default_context(cafile=str(ca_file))
        else:
            context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.profile == 3 and self.certificate is not None and self.key is not None:
            cert_file, key_file = folder / "station.pem", folder / "station.key"
            cert_file.write_text(certificate_pem(self.certificate))
            key_file.touch(mode=0o600)
            key_file.write_bytes(key_pem(self.key))
            context.load_cert_chain(str(cert_file), str(key_file))
        return context

    def _files(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="opencsms-sim-")
            weakref.finalize(self, self._folder.cleanup)
        return Path(self._folder.name)

    # -- certificates ---------------------------------------------------------------------------------

    def new_csr(self, organization: str | None = None) -> str:
        """A CSR for a new key (kept until a matching certificate comes back)."""
        self.pending_key = generate_key()
        return build_csr(self.pending_key, self.station_id, organization)

    def take_signed_chain(self, chain_pem: str) -> bool:
        """Use the signed certificate if it carries the pending key and names this station."""
        try:
            chain = x509.load_pem_x509_certificates(chain_pem.encode())
        except ValueError:
            return False
        if not chain or self.pending_key is None:
            return False
        leaf = chain[0]
        own_key = self.pending_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        leaf_key = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if leaf_key != own_key or common_name(leaf.subject) != self.station_id:
            return False
        self.certificate, self.key, self.pending_key = leaf, self.pending_key, None
        return True

    def install(self, certificate_type: str, pem: str) -> str:
        """M05 / 1.6 InstallCertificate: Accepted, or Rejected for what is not a CA certificate."""
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except (ValueError, x509.ExtensionNotFound):
            return "Rejected"
        if not constraints.ca:
            return "Rejected"
        kind = "CSMSRootCertificate" if certificate_type in CSMS_ROOT_TYPES else certificate_type
        self.installed.setdefault(kind, []).append(certificate)
        return "Accepted"

    def installed_ids(self, certificate_types: list[str] | None) -> list[tuple[str, dict[str, str]]]:
        """(type, hash data) of each installed root of the given types (all when None)."""
        wanted = (
            None
            if certificate_types is None
            else {"CSMSRootCertificate" if t in CSMS_ROOT_TYPES else t for t in certificate_types}
        )
        return [
            (kind, certificate_hash_data(c, c))
            for kind, certificates in self.installed.items()
            if wanted is None or kind in wanted
            for c in certificates
        ]

    def delete(self, hash_data: dict[str, str]) -> str:
        """M04 / 1.6 DeleteCertificate: Accepted, NotFound; Failed for the station's own certificate."""
        if self.certificate is not None and _same(
            hash_data, certificate_hash_data(self.certificate, self.certificate)
        ):
            return "Failed"
        for certificates in self.installed.values():
            for certificate in certificates:
                if _same(hash_data, certificate_hash_data(certificate, certificate)):
                    certificates.remove(certificate)
                    return "Accepted"
        return "NotFound"


def _same(given: dict[str, str], actual: dict[str, str]) -> bool:
    keys = ("issuerNameHash", "issuerKeyHash", "serialNumber")
    return all(str(given.get(k, "")).lower().lstrip("0") == actual[k].lower().lstrip("0") for k in keys)
