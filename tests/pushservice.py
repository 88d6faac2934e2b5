"""A local stand-in for a browser's push service, and the browser's side of a subscription.

``PushService`` is a real HTTP server on 127.0.0.1 (in a thread) that takes pushes as FCM or
Mozilla's autopush would: it keeps every request and answers 201, or what a test set for a path
(410: the subscription is gone). ``Receiver`` is what a browser holds: a P-256 key pair and an
auth secret; it makes the subscription's JSON and decrypts a push (aes128gcm, RFC 8291) with
``http_ece``, so a test reads exactly what the server sent, as the browser would.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Push:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A browser's keys for one subscription."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def decrypt(self, push: Push) -> dict[str, Any]:
        assert push.headers.get("content-encoding") == "aes128gcm", push.headers
        plain = http_ece.decrypt(push.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def vapid_key_of(push: Push) -> str:
    """The public key a push was signed with, once its VAPID signature is checked."""
    authorization = push.headers["authorization"]
    assert Vapid02.verify(authorization), "the VAPID signature does not verify"
    return dict(part.split("=", 1) for part in authorization.split(" ", 1)[1].split(","))["k"]


class PushService:
    def __init__(self) -> None:
        self.pushes: list[Push] = []
        self.status: dict[str, int] = {}  # path -> the status to answer (201 otherwise)
        self._changed = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with service._changed:
                    service.pushes.append(Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    service._changed.notify_all()
                self.send_response(service.status.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/push/{name}"

    def receiver(self, name: str) -> Receiver:
        return Receiver(self.endpoint(name))

    def to(self, receiver: Receiver) -> list[Push]:
        path = receiver.endpoint.split(str(self.httpd.server_address[1]), 1)[1]
        with self._changed:
            return [p for p in self.pushes if p.path == path]

    def wait_for(self, receiver: Receiver, count: int = 1, timeout: float = 10) -> list[Push]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := self.to(receiver)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(found)} pushes to {receiver.endpoint}, expected {count}")
                self._changed.wait(remaining)
            return found

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
