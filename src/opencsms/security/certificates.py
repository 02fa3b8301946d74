"""X.509 with ``cryptography``: the CSMS CA, signing station CSRs, certificate facts for records.

The managed CA lives in a directory (``ca.pem`` and ``ca.key.pem``, the key readable by the
owner only) and is created on first use; an external CA is used by giving its two files. A
station CSR is signed only when its signature verifies, its key is strong enough (RSA >= 2048
bits, EC P-256/P-384/P-521) and its subject CN is the station id (A02.FR.06 / 1.6 whitepaper
§ 3.2: the CN carries the Charge Point identity).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca.key.pem"
_STRONG_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class CsrRejected(ValueError):
    """A certificate signing request that will not be signed (the reason is in the message)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if len(values) == 1 else None


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    certificate: x509.Certificate
    key: PrivateKey
    cert_path: Path | None = None

    @classmethod
    def from_files(cls, cert_path: str | Path, key_path: str | Path) -> CertificateAuthority:
        """An existing (external) CA. Raises OSError or ValueError: unreadable or not PEM."""
        certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path}: an RSA or EC key is expected")
        return cls(certificate, key, Path(cert_path))

    @classmethod
    def load_or_create(cls, directory: str | Path, name: str = "opencsms CSMS CA") -> CertificateAuthority:
        """The CA in ``directory``, created there (key mode 0600) when absent.

        Raises:
            OSError: the directory cannot be read or written.
        """
        folder = Path(directory)
        cert_path, key_path = folder / CA_CERT_FILE, folder / CA_KEY_FILE
        if cert_path.exists() and key_path.exists():
            return cls.from_files(cert_path, key_path)
        folder.mkdir(parents=True, exist_ok=True)
        ca = cls.create(name)
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(key_pem(ca.key))
        cert_path.write_text(certificate_pem(ca.certificate))
        return cls(ca.certificate, ca.key, cert_path)

    @classmethod
    def create(
        cls, name: str = "opencsms CSMS CA", *, days: int = 3650, now: dt.datetime | None = None
    ) -> CertificateAuthority:
        """A new self-signed CA (in memory)."""
        key = generate_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start = (now or _utc_now()) - dt.timedelta(minutes=5)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key)

    @property
    def pem(self) -> str:
        return certificate_pem(self.certificate)

    def sign_station_csr(
        self, csr_pem: str, station_id: str, *, days: int = 365, now: dt.datetime | None = None
    ) -> x509.Certificate:
        """A client certificate for ``station_id`` from its CSR.

        Raises:
            CsrRejected: not a PEM CSR, bad signature, weak key, or CN other than the station id.
        """
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError:
            raise CsrRejected("not a PEM certificate signing request") from None
        if not csr.is_signature_valid:
            raise CsrRejected("the CSR signature does not verify")
        _check_key_strength(csr.public_key())
        cn = common_name(csr.subject)
        if cn != station_id:
            raise CsrRejected(f"the CSR's CN {cn!r} is not the station id")
        return self._issue(
            csr.subject, csr.public_key(), days=days, now=now, usage=ExtendedKeyUsageOID.CLIENT_AUTH
        )

    def issue_server_certificate(
        self, key: PrivateKey, hostnames: list[str], *, days: int = 365, now: dt.datetime | None = None
    ) -> x509.Certificate:
        """A TLS server certificate for the CSMS's own listeners (names and IP addresses)."""
        import ipaddress

        alternative: list[x509.GeneralName] = []
        for host in hostnames:
            try:
                alternative.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                alternative.append(x509.DNSName(host))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
        return self._issue(
            subject,
            key.public_key(),
            days=days,
            now=now,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            alternative_names=alternative,
        )

    def _issue(
        self,
        subject: x509.Name,
        public_key: Any,
        *,
        days: int,
        now: dt.datetime | None,
        usage: x509.ObjectIdentifier,
        alternative_names: list[x509.GeneralName] | None = None,
    ) -> x509.Certificate:
        start = (now or _utc_now()) - dt.timedelta(minutes=5)
        end = min(start + dt.timedelta(days=days), self.certificate.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if alternative_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def chain_pem(self, certificate: x509.Certificate) -> str:
        """The certificate and the CA certificate, PEM (what CertificateSigned carries)."""
        return certificate_pem(certificate) + self.pem


def _check_key_strength(public_key: Any) -> None:
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise CsrRejected(f"RSA key of {public_key.key_size} bits; at least 2048 are required")
        return
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, _STRONG_CURVES):
            raise CsrRejected(f"EC curve {public_key.curve.name} is not accepted")
        return
    raise CsrRejected("only RSA and EC keys are accepted")


def certificate_record(
    certificate: x509.Certificate, station_id: str | None, certificate_type: str
) -> dict[str, Any]:
    """Column values of ``certificates`` for ``certificate`` (issued_at left to the caller)."""
    return {
        "station_id": station_id,
        "certificate_type": certificate_type,
        "serial_number": format(certificate.serial_number, "x"),
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc,
        "pem": certificate_pem(certificate),
    }


def certificate_hash_data(certificate: x509.Certificate, issuer: x509.Certificate) -> dict[str, str]:
    """OCPP CertificateHashDataType (SHA256) of ``certificate``, issued by ``issuer``."""
    name_hash = hashes.Hash(hashes.SHA256())
    name_hash.update(certificate.issuer.public_bytes())
    key_hash = hashes.Hash(hashes.SHA256())
    key_hash.update(_public_key_bits(issuer.public_key()))
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": name_hash.finalize().hex(),
        "issuerKeyHash": key_hash.finalize().hex(),
        "serialNumber": format(certificate.serial_number, "x"),
    }


def _public_key_bits(public_key: Any) -> bytes:
    """The subjectPublicKey BIT STRING's contents (as OCSP's issuerKeyHash hashes them)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    raise ValueError("only RSA and EC issuers are supported")


def build_csr(key: PrivateKey, station_id: str, organization: str | None = None) -> str:
    """A PEM CSR with CN = ``station_id`` (what a station sends in SignCertificate)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, station_id)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    csr = (
        x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()
