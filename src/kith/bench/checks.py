"""Correctness of what arrived: exactly once, in each sender's order, gapless logs; and latencies."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from kith.bench.loadgen import PeerResult, parse_client_id


@dataclass
class Expectation:
    tag: str  # the run's client-id prefix: messages of other runs are not counted
    sent: dict[int, int]  # sender key -> messages it sent
    receivers: dict[int, list[int]]  # receiver label -> the sender keys whose messages it must receive
    own_key: dict[int, int] = field(default_factory=dict)  # receiver label -> its own sender key (its echo)
    first_seq: dict[int, int] = field(default_factory=dict)  # receiver label -> the event seq it must start at


@dataclass
class Deliveries:
    expected: int = 0  # deliveries that should have happened (a sender's own echo not counted)
    delivered: int = 0  # distinct deliveries that did happen (idem)
    duplicates: int = 0
    missing: int = 0
    out_of_order: int = 0  # messages that arrived after a later message of the same sender
    unexpected: int = 0  # messages a receiver should not have got
    conversation_order: bool = True  # at every receiver conversation seqs increase, and name the same messages
    gapless: bool = True  # every receiver's event seqs are consecutive (from first_seq when given)
    latencies: list[float] = field(default_factory=list)  # seconds: send start -> arrival
    first_send: float = math.inf
    last_arrival: float = 0.0
    problems: list[str] = field(default_factory=list)  # the first few, for the report

    @property
    def exactly_once(self) -> bool:
        return self.duplicates == 0 and self.missing == 0 and self.unexpected == 0

    @property
    def in_order(self) -> bool:
        return self.out_of_order == 0 and self.conversation_order and self.gapless

    def note(self, problem: str) -> None:
        if len(self.problems) < 10:
            self.problems.append(problem)


def check(expect: Expectation, senders: Iterable[PeerResult], receivers: Iterable[PeerResult]) -> Deliveries:
    t_send = {p.key: p.t_send for p in senders if p.key >= 0}
    out = Deliveries()
    for times in t_send.values():
        started = [t for t in times if t > 0]
        if started:
            out.first_send = min(out.first_send, min(started))
    seen_labels = set()
    order: dict[tuple[int, int], str] = {}  # (conversation, seq) -> client id: one order for all members
    for peer in receivers:
        if peer.label not in expect.receivers:
            continue
        seen_labels.add(peer.label)
        _check_receiver(expect, peer, t_send, order, out)
    for label in expect.receivers.keys() - seen_labels:
        owed = sum(expect.sent.get(k, 0) for k in expect.receivers[label] if k != expect.own_key.get(label))
        out.expected += owed
        out.missing += owed
        out.note(f"receiver {label} reported nothing")
    return out


def _check_receiver(
    expect: Expectation,
    peer: PeerResult,
    t_send: dict[int, list[float]],
    order: dict[tuple[int, int], str],
    out: Deliveries,
) -> None:
    label = peer.label
    wanted = set(expect.receivers[label])
    own = expect.own_key.get(label)
    next_n = {key: 0 for key in wanted}  # one past the highest message number seen from each sender
    got: dict[int, set[int]] = {key: set() for key in wanted}
    last_conv_seq: dict[int, int] = {}
    previous_seq = expect.first_seq.get(label, 0) - 1 if label in expect.first_seq else None
    for cid, conversation, conv_seq, event_seq, arrived in peer.received:
        if previous_seq is not None and event_seq != previous_seq + 1:
            out.gapless = False
            out.note(f"receiver {label}: event seq {event_seq} after {previous_seq}")
        previous_seq = event_seq
        if cid is None:
            continue
        parsed = parse_client_id(cid)
        if parsed is None or parsed[0] != expect.tag:
            continue  # not this run's message
        _tag, key, n = parsed
        if key not in wanted or n >= expect.sent.get(key, 0):
            out.unexpected += 1
            out.note(f"receiver {label}: unexpected message {cid}")
            continue
        if n in got[key]:
            out.duplicates += 1
            out.note(f"receiver {label}: duplicate {cid}")
            continue
        got[key].add(n)
        if n < next_n[key]:  # a later message of this sender came first
            out.out_of_order += 1
            out.note(f"receiver {label}: {cid} arrived after #{next_n[key] - 1} of sender {key}")
        next_n[key] = max(next_n[key], n + 1)
        if conv_seq <= last_conv_seq.get(conversation, 0):
            out.conversation_order = False
            out.note(f"receiver {label}: seq {conv_seq} of conversation {conversation} not after the previous one")
        last_conv_seq[conversation] = conv_seq
        if order.setdefault((conversation, conv_seq), cid) != cid:
            out.conversation_order = False
            out.note(f"seq {conv_seq} of conversation {conversation} is {cid} for receiver {label}, not for others")
        if key == own:
            continue
        out.delivered += 1
        sent_at = t_send.get(key, [])[n] if n < len(t_send.get(key, [])) else 0.0
        if sent_at > 0:
            out.latencies.append(arrived - sent_at)
        out.last_arrival = max(out.last_arrival, arrived)
    for key in wanted:
        if key == own:
            missing_own = expect.sent.get(key, 0) - len(got[key])
            if missing_own > 0:
                out.missing += missing_own
                out.note(f"receiver {label}: {missing_own} of its own messages never came back")
            continue
        owed = expect.sent.get(key, 0)
        out.expected += owed
        if len(got[key]) < owed:
            out.missing += owed - len(got[key])
            out.note(f"receiver {label}: {owed - len(got[key])} of {owed} messages of sender {key} missing")
