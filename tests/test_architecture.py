"""The layering, checked over the import graph of src/kith.

- A domain's store is private to it: another domain may import only its ``access`` (the questions it
  answers) and its ``models`` (its value types and event types).
- Domains know nothing of transport: no domain imports ``kith.http``, ``kith.ws`` or ``kith.app``.
- The core (``events``, ``storage``, ``bus``) knows no domain and no transport.
- Transport never touches SQL: ``kith.http`` and ``kith.ws`` import nothing from ``kith.storage``.

Imports under ``if TYPE_CHECKING:`` are left out: they name a type without depending on its module at
run time (a use case that composes other domains' public verbs gets their services handed in).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "kith"
DOMAINS = {"accounts", "contacts", "chats", "sync", "media", "moments", "platform", "push"}
CORE = {"events", "storage", "bus"}
TRANSPORT = {"http", "ws"}
SHARED_WITH_OTHERS = {"access", "models"}


def imports() -> list[tuple[str, str]]:
    """(importing module, imported kith module) for every import in src/kith."""
    found = []
    for path in SRC.rglob("*.py"):
        module = ".".join(("kith", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        type_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                found += [(module, alias.name) for alias in node.names if alias.name.startswith("kith")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                if not base.startswith("kith"):
                    continue
                # `from kith.chats import access` imports the module kith.chats.access
                found += [(module, f"{base}.{alias.name}") for alias in node.names]
    return found


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(edges: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for importer, imported in edges:
        src, dst = area(importer), area(imported)
        if src == dst:
            continue
        parts = imported.split(".")
        if src in DOMAINS and dst in DOMAINS and (len(parts) < 3 or parts[2] not in SHARED_WITH_OTHERS):
            wrong.append(f"{importer} reaches into {imported}: ask kith.{dst}.access instead")
        if src in DOMAINS and (dst in TRANSPORT or dst == "app"):
            wrong.append(f"{importer} (a domain) imports transport {imported}")
        if src in CORE and (dst in DOMAINS or dst in TRANSPORT or dst in ("app", "services")):
            wrong.append(f"{importer} (the core) imports {imported}")
        if src in TRANSPORT and dst == "storage":
            wrong.append(f"{importer} (transport) imports storage {imported}")
    return wrong


def test_the_import_graph_keeps_the_layers() -> None:
    edges = imports()
    assert len(edges) > 100
    assert violations(edges) == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("kith.chats.service", "kith.contacts.store.relation", False),
        ("kith.chats.service", "kith.contacts.access.relation", True),
        ("kith.chats.service", "kith.accounts.models.User", True),
        ("kith.events.log", "kith.chats.models.message_json", False),
        ("kith.http.api.chats", "kith.storage.database.Tx", False),
        ("kith.chats.store", "kith.storage.database.Tx", True),
    ],
)
def test_the_rules_tell_right_from_wrong(importer: str, imported: str, allowed: bool) -> None:
    assert (violations([(importer, imported)]) == []) is allowed
