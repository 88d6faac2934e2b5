"""Event types: each declared once, as a constant in the models of the domain that emits it.

The core appends and reads events of any type; it never branches on a type. An event either carries
its data (``ref is None``) or refers to an object of kind ``ref`` that its owning domain renders when
the log is read, so the log always shows the object as it is now (a recalled message as recalled).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z]+(\.[a-z_]+)*$")


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    ref: str | None = None  # the kind of object the event refers to; None: the data is stored inline

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"not an event type name: {self.name!r}")


def declared(package: str = "kith") -> dict[str, EventType]:
    """Every EventType constant in the ``models`` modules of ``package``'s domains, by name."""
    found: dict[str, EventType] = {}
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}.models")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, EventType):
                if found.get(value.name, value) != value:
                    raise ValueError(f"event type {value.name!r} is declared twice, differently")
                found[value.name] = value
    return found
