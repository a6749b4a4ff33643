"""Admin: where notifications go (SMTP server, chat webhooks) and the outbox, with resend."""

import streamlit as st

from leaddash.ui.links import kept_tabs
from leaddash.ui.login import current_actor
from leaddash.ui.notifications import (
    NOTIFICATION_TABS,
    show_delivery_settings,
    show_outbox,
    show_webhooks,
)
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Notifications")
st.caption(
    "Messages wait in the outbox until the worker sends them (every 30 seconds); a failure "
    "is retried with growing pauses, then shown here with its reason."
)
show_flash()
settings_tab, outbox_tab = kept_tabs(NOTIFICATION_TABS)
with settings_tab:
    saved = show_delivery_settings(actor)
    show_webhooks(actor, saved)
with outbox_tab:
    show_outbox(actor)
