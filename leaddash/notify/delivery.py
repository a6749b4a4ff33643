"""Sending one message: email over SMTP (smtplib, with the TLS mode an admin chose), or a
JSON POST to a Slack- or Teams-compatible incoming webhook (urllib, with a timeout). A
failure raises DeliveryError with a reason an admin can act on; the worker records it."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from leaddash.notify_tables import TlsMode, WebhookKind

TIMEOUT_SECONDS = 10.0
MAX_REASON = 500


class DeliveryError(Exception):
    """A message could not be delivered; `reason` says why, for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON]


@dataclass(frozen=True)
class Outgoing:
    """What is sent: the outbox row's words, with its link made absolute when it can be."""

    subject: str
    text: str
    html: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class SmtpServer:
    """Where email goes out; `password` comes from LEADDASH_SMTP_PASSWORD, never the database."""

    host: str
    port: int
    tls: str
    sender: str
    username: str | None = None
    password: str | None = None


def full_link(app_url: str, link: str | None) -> str | None:
    """Return `link` under the app's address when an admin set one (else as it is)."""
    if not link or link.startswith(("http://", "https://")) or not app_url:
        return link
    return app_url.rstrip("/") + "/" + link.lstrip("/")


def email_message(server: SmtpServer, to: str, message: Outgoing) -> EmailMessage:
    """Return the email: plain text (with the link), and the HTML beside it when there is one."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = server.sender
    email["To"] = to
    email["Message-ID"] = make_msgid(domain=server.sender.rpartition("@")[2] or None)
    opened = f"\n\nOpen LeadDash: {message.link}" if message.link else ""
    email.set_content(message.text + opened)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    if server.tls == TlsMode.SSL:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.tls == TlsMode.STARTTLS:
        client.starttls(context=ssl.create_default_context())
    return client


def send_email(
    server: SmtpServer, to: str, message: Outgoing, *, timeout: float = TIMEOUT_SECONDS
) -> None:
    """Send `message` to `to` through `server`, or raise DeliveryError with the reason."""
    where = f"the SMTP server {server.host}:{server.port}"
    try:
        with _connect(server, timeout) as client:
            if server.username:
                client.login(server.username, server.password or "")
            client.send_message(email_message(server, to, message))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{capital(where)} refused the login of {server.username!r} ({exc.smtp_code}): "
            "check the username and LEADDASH_SMTP_PASSWORD."
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"{capital(where)} refused the address {to!r}: {exc.recipients}"
        ) from exc
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"The TLS handshake with {where} failed ({exc}): check the TLS mode (SSL usually "
            "on port 465, STARTTLS on 587) and the server's certificate."
        ) from exc
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"{capital(where)} refused the message: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"Could not reach {where}: {exc}") from exc


def capital(text: str) -> str:
    """Return `text` with its first letter in capitals."""
    return text[:1].upper() + text[1:]


def webhook_payload(kind: str, message: Outgoing) -> dict[str, Any]:
    """Return the JSON a Slack ({"text": …}) or Teams (a MessageCard) webhook takes."""
    if kind == WebhookKind.TEAMS:
        card: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject,
            "title": message.subject,
            "text": message.text,
        }
        if message.link:
            card["potentialAction"] = [
                {
                    "@type": "OpenUri",
                    "name": "Open LeadDash",
                    "targets": [{"os": "default", "uri": message.link}],
                }
            ]
        return card
    link = f"\n<{message.link}|Open LeadDash>" if message.link else ""
    return {"text": f"*{message.subject}*\n{message.text}{link}"}


def post_webhook(
    name: str, kind: str, url: str, message: Outgoing, *, timeout: float = TIMEOUT_SECONDS
) -> None:
    """POST `message` to the webhook, or raise DeliveryError with the reason."""
    body = json.dumps(webhook_payload(kind, message)).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        said = exc.read(200).decode("utf-8", "replace").strip()
        raise DeliveryError(
            f"The webhook {name!r} answered HTTP {exc.code} {exc.reason}"
            + (f": {said}" if said else "")
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"Could not reach the webhook {name!r}: {reason}") from exc
