"""The public API of opencsms.simulate is what __all__ says, and all of it exists."""

from __future__ import annotations

import pkgutil

import opencsms.simulate as simulate


def test_all_is_exported_and_sorted() -> None:
    assert sorted(simulate.__all__, key=lambda n: (not n.isupper(), n)) == simulate.__all__
    for name in simulate.__all__:
        assert getattr(simulate, name) is not None
    public = {name for name in dir(simulate) if not name.startswith("_")}
    modules = {module.name for module in pkgutil.iter_modules(simulate.__path__)}
    assert public - modules - {"annotations"} == set(simulate.__all__)
