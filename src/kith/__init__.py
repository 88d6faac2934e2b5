"""kith: a self-hosted messenger for the people you know."""

__version__ = "0.1.0"
