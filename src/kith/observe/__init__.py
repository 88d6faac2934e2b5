"""Operating a node: Prometheus metrics, request ids and the access log, logging setup, readiness."""

from kith.observe.health import readyz_endpoint
from kith.observe.http import Observe
from kith.observe.metrics import Metrics, metrics_endpoint

__all__ = ["Metrics", "Observe", "metrics_endpoint", "readyz_endpoint"]
