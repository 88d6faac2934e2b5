"""The event core: the unit of work, the per-user event logs and the outbox. It knows no domain."""

from kith.events.log import EventLog
from kith.events.writer import Writer

__all__ = ["EventLog", "Writer"]
