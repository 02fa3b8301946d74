"""Operator roles: each one may do what the ones below it may."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """``viewer`` reads; ``operator`` also sends commands and changes data; ``admin`` also manages keys."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        """Whether this role may do what ``required`` may."""
        return self.rank >= required.rank


_RANKS = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}
