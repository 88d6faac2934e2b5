from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from domain import Kit
from helpers import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh kith server (real process, real port, real SQLite file) for one test."""
    srv = Server(tmp_path / "data").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a whole module, for tests that only add their own users and data."""
    srv = Server(tmp_path_factory.mktemp("kith") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
async def kit(tmp_path: Path) -> AsyncIterator[Kit]:
    """The services in-process on a real SQLite file, with a fake clock."""
    k = await Kit.open(tmp_path / "kith.db")
    yield k
    await k.db.close()
