"""A real SMTP server for the mail tests (aiosmtpd on a free local port) and helpers to read what it received."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .server_helpers import free_port


@dataclass
class Sink:
    """Keeps every letter received; answers RCPT to bounce@… with 550 and to later@… with 451."""

    received: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  #: seconds before answering DATA: a slow server, so that a kill lands mid-send

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 Нет такого ящика: mailbox unavailable"
        if address.startswith("later"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"].addresses[0].addr_spec == address]

    def wait_for(self, n: int, seconds: float = 60) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.received) >= n:
                return self.messages()
            time.sleep(0.1)
        raise AssertionError(f"{len(self.received)} letters arrived, not {n}")


class SmtpServer:
    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.sink = Sink(delay=delay)
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def body(msg: EmailMessage, subtype: str = "plain") -> str:
    return msg.get_body(preferencelist=(subtype,)).get_content()


def mail_config(port: int) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TLS": "none", "MAIL_FROM": "mo@example.org",
            "APP_URL": "http://mo.school.test:5000"}


def decoded_from(msg: EmailMessage) -> str:
    """The From header decoded by RFC 2047's rule (whitespace between encoded words dropped): the standard library's
    address parser keeps it and splits words that the generator folded."""
    import email.header

    raw = email.message_from_bytes(msg.as_bytes())["From"]
    return str(email.header.make_header(email.header.decode_header(raw)))
