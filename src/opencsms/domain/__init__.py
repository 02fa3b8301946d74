"""Version-neutral business logic: stations, id tokens, transactions and meter values.

OCPP 1.6 and 2.0.1 handlers both call these services; nothing here knows a message schema,
a socket or a protocol version.
"""

from __future__ import annotations

from opencsms.domain.events import DomainEvent, EventHandler
from opencsms.domain.model import (
    AuthorizationStatus,
    BootDecision,
    BootInfo,
    ConnectorState,
    IdToken,
    IdTokenInfo,
    MeterSample,
    RegistrationPolicy,
    RegistrationStatus,
    SampledValue,
    StartResult,
    Station,
    StopResult,
    Transaction,
    TransactionEvent,
    TransactionEventResult,
    TransactionEventType,
    TransactionStart,
    TransactionStatus,
    TransactionStop,
)
from opencsms.domain.services import Domain
from opencsms.domain.stations import StationService
from opencsms.domain.tokens import TokenService
from opencsms.domain.transactions import TransactionService

__all__ = [
    "AuthorizationStatus",
    "BootDecision",
    "BootInfo",
    "ConnectorState",
    "Domain",
    "DomainEvent",
    "EventHandler",
    "IdToken",
    "IdTokenInfo",
    "MeterSample",
    "RegistrationPolicy",
    "RegistrationStatus",
    "SampledValue",
    "StartResult",
    "Station",
    "StationService",
    "StopResult",
    "TokenService",
    "Transaction",
    "TransactionEvent",
    "TransactionEventResult",
    "TransactionEventType",
    "TransactionService",
    "TransactionStart",
    "TransactionStatus",
    "TransactionStop",
]
