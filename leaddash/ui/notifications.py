"""Drawing the notification settings: the admin's SMTP server, webhooks and outbox (with
resend), and each user's own choices of events and channels. Every read and write goes
through leaddash.ui.seam; the services check who may do what."""

from __future__ import annotations

import streamlit as st

from leaddash.config import smtp_password
from leaddash.core.actor import Actor
from leaddash.notify.admin import (
    DeliverySettings,
    add_webhook,
    delivery_settings,
    list_outbox,
    remove_webhook,
    resend,
    save_smtp_settings,
)
from leaddash.notify.events import EVENT_LABELS
from leaddash.notify.preferences import my_notifications, save_my_notifications
from leaddash.notify_tables import OutboxStatus, TlsMode, WebhookKind
from leaddash.ui.seam import read_now, save
from leaddash.ui.text import plain

TLS_MODES = [m.value for m in TlsMode]
KINDS = [k.value for k in WebhookKind]
NO_WEBHOOK = "(none)"
ALL_STATUSES = "all"
# The admin page's tabs; the chosen one stays chosen after an action (links.kept_tabs).
NOTIFICATION_TABS = ("Email and webhooks", "Outbox")


def show_delivery_settings(actor: Actor) -> DeliverySettings:
    """Draw the SMTP form and return the settings as saved."""
    saved = read_now(lambda s: delivery_settings(s, actor=actor))
    st.subheader("Email (SMTP)")
    st.caption(
        "The SMTP password is never stored here: "
        + (
            "LEADDASH_SMTP_PASSWORD is set on the server."
            if smtp_password()
            else "set LEADDASH_SMTP_PASSWORD on the server when the login needs one."
        )
    )
    with st.form("smtp_settings"):
        host = st.text_input("SMTP host", saved.smtp_host, placeholder="smtp.example.com")
        port = st.number_input("Port", 1, 65535, saved.smtp_port, step=1)
        tls = st.selectbox("TLS", TLS_MODES, index=TLS_MODES.index(saved.smtp_tls))
        sender = st.text_input("Sender address", saved.sender, placeholder="leaddash@example.com")
        username = st.text_input("Username (optional)", saved.username or "")
        app_url = st.text_input(
            "LeadDash's address, for links (optional)",
            saved.app_url,
            placeholder="https://leaddash.example.com",
        )
        if st.form_submit_button("Save email settings", type="primary"):
            save(
                lambda s: save_smtp_settings(
                    s,
                    actor=actor,
                    host=host,
                    port=int(port),
                    tls=tls,
                    sender=sender,
                    username=username,
                    app_url=app_url,
                ),
                f"Saved: email goes out through {host.strip()}:{int(port)} ({tls}).",
            )
    return saved


def show_webhooks(actor: Actor, saved: DeliverySettings) -> None:
    """Draw the webhooks (by host only: the URL is a secret), the add form and remove."""
    st.subheader("Chat webhooks")
    if saved.webhooks:
        st.dataframe(
            [{"Name": w.name, "Kind": w.kind, "Host": w.host} for w in saved.webhooks],
            hide_index=True,
        )
    else:
        st.caption("No webhooks yet: add a Slack or Teams incoming webhook below.")
    with st.form("add_webhook", clear_on_submit=True):
        name = st.text_input("Name", placeholder="sales-alerts")
        kind = st.selectbox("Kind", KINDS)
        url = st.text_input("Webhook URL", placeholder="https://hooks.slack.com/services/…")
        if st.form_submit_button("Add webhook"):
            save(
                lambda s: add_webhook(s, actor=actor, name=name, kind=kind, url=url),
                f"Added the {kind} webhook {name.strip()!r}: people can pick it now.",
            )
    if saved.webhooks:
        gone = st.selectbox("Remove a webhook", [w.name for w in saved.webhooks])
        if st.button(f"Remove {plain(gone)}", key="remove_webhook"):
            save(
                lambda s: remove_webhook(s, actor=actor, name=gone),
                f"Removed the webhook {gone!r}.",
            )


def show_outbox(actor: Actor) -> None:
    """Draw the newest outbox rows with their status and failure reason, and Resend."""
    st.subheader("Outbox")
    status = st.selectbox("Status", [ALL_STATUSES, *OutboxStatus], key="outbox_status")
    chosen = None if status == ALL_STATUSES else status
    rows = read_now(lambda s: list_outbox(s, actor=actor, status=chosen))
    if rows.empty:
        st.caption(
            "No notifications yet." if chosen is None else f"No {plain(chosen)} notifications."
        )
        return
    st.dataframe(rows, hide_index=True)
    failed = rows[rows["status"] == OutboxStatus.FAILED]
    if failed.empty:
        return
    picked = st.selectbox(
        "Resend a failed notification",
        failed["id"].tolist(),
        format_func=lambda i: f"#{i}: {failed.set_index('id').at[i, 'subject']}",
    )
    if st.button("Resend", key="resend_notification"):
        save(
            lambda s: resend(s, actor=actor, notification_id=int(picked)),
            f"Notification #{picked} waits in the outbox again: the worker sends it on its "
            "next pass (within a minute).",
        )


def show_my_notifications(actor: Actor) -> None:
    """Draw the user's own choices: each event by email and/or to a webhook, quiet hours."""
    mine = read_now(lambda s: my_notifications(s, actor=actor))
    if not mine.events:
        st.caption("There are no notifications for your role.")
        return
    if not mine.email:
        st.caption("You have no email address: ask an admin to add one, or pick a webhook.")
    hooks = [NO_WEBHOOK, *mine.webhooks]
    by_email, by_webhook = [], {}
    with st.form("my_notifications"):
        for event in mine.events:
            left, right = st.columns([3, 2])
            if left.checkbox(EVENT_LABELS[event], event in mine.by_email, key=f"mail_{event}"):
                by_email.append(event)
            current = mine.by_webhook.get(event, NO_WEBHOOK)
            hook = right.selectbox(
                "Also to webhook",
                hooks,
                index=hooks.index(current) if current in hooks else 0,
                key=f"hook_{event}",
                disabled=len(hooks) == 1,
            )
            by_webhook[event] = "" if hook == NO_WEBHOOK else hook
        quiet = st.checkbox(
            "Only within the SLA calendar's business hours (others wait for the next opening)",
            mine.business_hours_only,
        )
        if st.form_submit_button("Save my notifications"):
            save(
                lambda s: save_my_notifications(
                    s,
                    actor=actor,
                    by_email=by_email,
                    by_webhook=by_webhook,
                    business_hours_only=quiet,
                ),
                "Saved your notification choices.",
            )
