"""The sizes of the workloads: the defaults (the issue's figures) and the tiny ones of --quick."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    pairs: int = 50  # W1
    messages: int = 100  # W1, per sender
    inflight: int = 4  # W1 and W4 senders
    group_size: int = 100  # W2
    group_senders: int = 5
    group_messages: int = 20  # W2, per sender
    idle: int = 1000  # W3
    catchup_friends: int = 20  # W4
    catchup_messages: int = 2000  # W4, in total


QUICK = Sizes(
    pairs=3, messages=10, group_size=6, group_senders=2, group_messages=5, idle=20, catchup_friends=3,
    catchup_messages=60,
)  # fmt: skip
