"""The audit log: who did what, when, from where, and with what result. Append-only."""

from __future__ import annotations

from opencsms.audit.log import AuditEntry, AuditFilter, AuditLog, AuditRecord, cli_actor

__all__ = ["AuditEntry", "AuditFilter", "AuditLog", "AuditRecord", "cli_actor"]
