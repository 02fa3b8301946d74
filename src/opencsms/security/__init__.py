"""Security building blocks that need neither a socket nor a database: password hashing, the
handshake filter chain, rate limits, X.509 (the CSMS CA, CSR signing, client certificate
checks) and TLS contexts for the listeners. See docs/security.md."""
