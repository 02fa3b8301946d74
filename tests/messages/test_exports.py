"""The public API of opencsms.messages is exactly what ``__all__`` lists."""

from __future__ import annotations

import types

import opencsms.messages


def test_exported_members() -> None:
    public = {
        name
        for name, value in vars(opencsms.messages).items()
        # Submodules become attributes when imported; `annotations` is the __future__ import.
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert sorted(opencsms.messages.__all__) == sorted(public)
