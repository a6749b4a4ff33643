"""Real local servers for the notification tests: an SMTP server (aiosmtpd) that keeps what
it receives, and an HTTP server that keeps the JSON posted to it and answers with the
status the test sets."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.served import free_port


@dataclass
class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message) per email."""

    port: int = 0
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """Run an SMTP server on 127.0.0.1 (no TLS) for the block; yield its inbox."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Hook:
    """What the HTTP server received, and the status it answers with."""

    url: str = ""
    status: int = 200
    posts: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def webhook_server() -> Iterator[Hook]:
    """Run an HTTP server on 127.0.0.1 for the block; yield its record."""
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            hook.posts.append((self.path, json.loads(self.rfile.read(size))))
            body = b"ok" if hook.status < 400 else b"boom: the channel is archived"
            self.send_response(hook.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
