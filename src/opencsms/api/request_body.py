"""The base of every JSON request body the API takes.

A field the API does not know is an error (422 naming it), never ignored: ``{"type": "Hard"}``
sent to ``commands/reset`` (whose field is ``kind``) must not become a Soft reset.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Pydantic configuration of request bodies; also given to the command dataclasses the command
#: endpoints take as bodies.
FORBID_UNKNOWN_FIELDS = ConfigDict(extra="forbid")


class RequestBody(BaseModel):
    """A JSON request body: unknown fields are refused."""

    model_config = FORBID_UNKNOWN_FIELDS
