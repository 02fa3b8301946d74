"""TLS server contexts for security profiles 2 and 3.

TLS 1.2 or newer only. TLS 1.2 ciphers: ECDHE with AES-GCM or ChaCha20, plus the two RSA key
exchange AES-GCM suites that OCPP 2.0.1 (A00.FR.318) and the 1.6 security whitepaper require a
CSMS to offer; TLS 1.3 suites are all modern. Profile 3 asks for a client certificate and
verifies its chain and dates against ``client_ca_file``; a client that sends none still gets
through TLS so the handshake filter chain can refuse it with a 401 and record it.
"""

from __future__ import annotations

import ssl

TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:AES128-GCM-SHA256:AES256-GCM-SHA384"


def server_context(
    cert_file: str,
    key_file: str,
    *,
    client_ca_file: str | None = None,
    min_version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A server context; with ``client_ca_file`` it asks for client certificates (profile 3).

    Raises:
        OSError, ssl.SSLError: a file is missing or not PEM of the right kind.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = min_version or ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.load_verify_locations(cafile=client_ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context
