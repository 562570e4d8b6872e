"""Shared check of the unit tests: the domain's value objects are immutable (presets and
rule sets are module-level constants shared by every tenant; a verdict or score, once made,
is not edited in place)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect


def mutable_dataclasses(*module_names: str) -> set[str]:
    """The dataclasses defined in these modules whose fields can be assigned to."""
    mutable = set()
    for name in module_names:
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not dataclasses.is_dataclass(cls):
                continue
            instance = object.__new__(cls)
            try:
                setattr(instance, dataclasses.fields(cls)[0].name, None)
            except dataclasses.FrozenInstanceError:
                continue
            mutable.add(f"{name}.{cls_name}")
    return mutable
