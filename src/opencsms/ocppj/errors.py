"""OCPP-J error codes, one class each.

Hierarchy::

    OcppError                      the peer broke the protocol (answered with a CALLERROR)
    ├── NotImplementedCallError    NotImplemented: unknown action
    ├── NotSupportedError          NotSupported: known action, not supported by this side
    ├── InternalError
    ├── ProtocolError
    ├── SecurityError
    ├── FormatViolation            1.6 spells it FormationViolation
    ├── PropertyConstraintViolation
    ├── OccurrenceConstraintViolation   1.6 spells it OccurenceConstraintViolation
    ├── TypeConstraintViolation
    ├── GenericError
    ├── RpcFrameworkError          2.x only; 1.6 answers FormationViolation
    └── MessageTypeNotSupported    2.x only; 1.6 answers NotSupported

    UsageError                     the caller misused this library (a local bug, never sent)

Each class has a canonical ``code`` (the 2.x spelling) and ``code_for(version)`` returns the
spelling that version uses on the wire.
"""

from __future__ import annotations

from typing import Any, ClassVar

V16 = "1.6"
V201 = "2.0.1"
V21 = "2.1"


class UsageError(Exception):
    """The caller used the API wrongly; a bug on our side, never sent to a peer."""


class OcppError(Exception):
    """An OCPP error that is answered with a CALLERROR."""

    code: ClassVar[str] = "GenericError"
    code_v16: ClassVar[str | None] = None  # spelling in 1.6, when it differs

    def __init__(self, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(description or self.code)
        self.description = description
        self.details: dict[str, Any] = details or {}

    @classmethod
    def code_for(cls, version: str) -> str:
        """The error code as ``version`` spells it on the wire."""
        if version == V16 and cls.code_v16 is not None:
            return cls.code_v16
        return cls.code


class NotImplementedCallError(OcppError):
    code = "NotImplemented"


class NotSupportedError(OcppError):
    code = "NotSupported"


class InternalError(OcppError):
    code = "InternalError"


class ProtocolError(OcppError):
    code = "ProtocolError"


class SecurityError(OcppError):
    code = "SecurityError"


class FormatViolation(OcppError):
    code = "FormatViolation"
    code_v16 = "FormationViolation"


class PropertyConstraintViolation(OcppError):
    code = "PropertyConstraintViolation"


class OccurrenceConstraintViolation(OcppError):
    code = "OccurrenceConstraintViolation"
    code_v16 = "OccurenceConstraintViolation"


class TypeConstraintViolation(OcppError):
    code = "TypeConstraintViolation"


class GenericError(OcppError):
    code = "GenericError"


class RpcFrameworkError(OcppError):
    code = "RpcFrameworkError"
    code_v16 = "FormationViolation"


class MessageTypeNotSupported(OcppError):
    code = "MessageTypeNotSupported"
    code_v16 = "NotSupported"


ALL_ERRORS: tuple[type[OcppError], ...] = (
    NotImplementedCallError,
    NotSupportedError,
    InternalError,
    ProtocolError,
    SecurityError,
    FormatViolation,
    PropertyConstraintViolation,
    OccurrenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
    RpcFrameworkError,
    MessageTypeNotSupported,
)

_BY_CODE: dict[str, type[OcppError]] = {}
for _cls in ALL_ERRORS:
    _BY_CODE[_cls.code] = _cls
    if _cls.code_v16 is not None:
        _BY_CODE.setdefault(_cls.code_v16, _cls)
# 1.6's misspellings and the 2.x spellings both map back to one class.
_BY_CODE["FormationViolation"] = FormatViolation
_BY_CODE["OccurenceConstraintViolation"] = OccurrenceConstraintViolation
_BY_CODE["NotSupported"] = NotSupportedError


def error_class(code: str) -> type[OcppError]:
    """The class for a wire error code in any version's spelling; GenericError when unknown."""
    return _BY_CODE.get(code, GenericError)
