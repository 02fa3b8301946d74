"""Id tokens: the local authorization list and the decision for one token."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from opencsms.domain.model import AuthorizationStatus, IdToken, IdTokenInfo
from opencsms.store import Store
from opencsms.store import tokens as token_rows
from opencsms.store.driver_statements import NamedRow

# A stored token has one of these; ConcurrentTx and Unknown describe a situation, not a token.
STORABLE_STATUSES = frozenset(
    {
        AuthorizationStatus.ACCEPTED,
        AuthorizationStatus.BLOCKED,
        AuthorizationStatus.EXPIRED,
        AuthorizationStatus.INVALID,
    }
)


def authorization(token: IdToken | None, now: datetime) -> IdTokenInfo:
    """What ``token`` is worth at ``now``: unknown is Invalid, an Accepted one past its expiry
    date is Expired, any other status stands; the expiry date and parent go with it."""
    if token is None:
        return IdTokenInfo(AuthorizationStatus.INVALID)
    status = token.status
    if status is AuthorizationStatus.ACCEPTED and token.expiry_date is not None and token.expiry_date < now:
        status = AuthorizationStatus.EXPIRED
    return IdTokenInfo(status, token.expiry_date, token.parent_id_token)


def authorize_in(connection: Connection, id_token: str, now: datetime) -> IdTokenInfo:
    """:func:`authorization` of ``id_token``, read on ``connection`` (inside a store job)."""
    row = token_rows.get(connection, id_token) if id_token else None
    return authorization(_token(row) if row is not None else None, now)


def _token(row: Row[Any] | NamedRow) -> IdToken:
    return IdToken(
        id_token=row.id_token,
        status=AuthorizationStatus(row.status),
        expiry_date=row.expiry_date,
        parent_id_token=row.parent_id_token,
        token_type=row.token_type,
    )


class TokenService:
    """Authorizes id tokens and manages the list of known ones."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    async def authorize(self, id_token: str, now: datetime) -> IdTokenInfo:
        """The token's status at ``now`` (see :func:`authorization`).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        return await self._store.read(lambda connection: authorize_in(connection, id_token, now))

    async def add(
        self,
        id_token: str,
        *,
        status: AuthorizationStatus = AuthorizationStatus.ACCEPTED,
        expiry_date: datetime | None = None,
        parent_id_token: str | None = None,
        token_type: str | None = None,
    ) -> IdToken:
        """Add the token, or replace everything stored about it.

        Raises:
            ValueError: ``status`` is ConcurrentTx or Unknown, which no token can have.
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        if status not in STORABLE_STATUSES:
            raise ValueError(f"a token cannot be stored with status {status}")
        now = self._clock()
        row = await self._store.write(
            lambda connection: token_rows.put(
                connection,
                id_token,
                status=status.value,
                expiry_date=expiry_date,
                parent_id_token=parent_id_token,
                token_type=token_type,
                now=now,
            )
        )
        return _token(row)

    async def block(self, id_token: str) -> IdToken:
        """Block the token.

        Raises:
            LookupError: the token is unknown.
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        now = self._clock()
        blocked = AuthorizationStatus.BLOCKED.value
        row = await self._store.write(
            lambda connection: token_rows.set_status(connection, id_token, blocked, now)
        )
        if row is None:
            raise LookupError(f"unknown id token {id_token!r}")
        return _token(row)

    async def get(self, id_token: str) -> IdToken | None:
        """The token, or None when it is unknown.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        row = await self._store.read(lambda connection: token_rows.get(connection, id_token))
        return _token(row) if row is not None else None

    async def list(self) -> builtins.list[IdToken]:
        """Every known token, by token.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the store failed.
        """
        rows = await self._store.read(token_rows.list_all)
        return [_token(row) for row in rows]
