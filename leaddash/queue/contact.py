"""Reaching a lead's person: the CRM link template an admin sets (an app setting), and the
links a rep clicks (call, email, the lead's CRM record)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from sqlmodel import Session

from leaddash.access import authorize
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import AppSetting, utcnow

CRM_TEMPLATE_KEY = "crm_link_template"
PLACEHOLDER = "{external_id}"
MAX_TEMPLATE = 1000
URL_SAFE = ":/?#@!$&'*+,;=%~"
# Only an address of plain characters gets a mailto: link (anything else shows as text).
MAILABLE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Contact:
    """The links that reach a lead's person; None where the lead lacks the value."""

    phone: str | None
    call: str | None
    email: str | None
    mail: str | None
    crm: str | None


def crm_template(session: Session) -> str:
    """Return the CRM link template an admin set (empty: none)."""
    row = session.get(AppSetting, CRM_TEMPLATE_KEY)
    return row.value if row is not None else ""


def checked_template(template: str) -> str:
    """Return the template stripped, or raise InvalidInput (field `crm_template`) saying
    what to fix: an http(s) address with a host that contains {external_id}."""
    text = template.strip()
    if not text:
        return ""
    parts = urlsplit(text.replace(PLACEHOLDER, "x"))
    if len(text) > MAX_TEMPLATE:
        problem = f"is {len(text)} characters long; keep it under {MAX_TEMPLATE}"
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "must be a web address starting with http:// or https:// and a host name"
    elif PLACEHOLDER not in text:
        problem = f"must contain {PLACEHOLDER} where the lead's CRM id goes"
    else:
        return text
    raise InvalidInput(
        f"The CRM link template {problem}, e.g. https://crm.example.com/leads/{PLACEHOLDER}. "
        "Nothing was saved.",
        field="crm_template",
    )


def save_crm_template(session: Session, *, actor: Actor, template: str) -> str:
    """Return the CRM link template saved (empty: links switched off); admins only."""
    authorize(session, actor, "manage_users", "set the CRM link")
    text = checked_template(template)
    act_as(session, actor, "setting.crm_link")
    row = session.get(AppSetting, CRM_TEMPLATE_KEY) or AppSetting(key=CRM_TEMPLATE_KEY)
    row.value, row.updated_at, row.updated_by_id = text, utcnow(), actor.id
    session.add(row)
    return text


def contact_links(
    *, phone: str | None, email: str | None, external_id: str | None, template: str
) -> Contact:
    """Return the call, email and CRM links of a lead from its values and the template."""
    phone, email, external_id = (v.strip() if v else None for v in (phone, email, external_id))
    dial = "".join(c for c in phone or "" if c.isdigit() or c == "+")
    crm = None
    if external_id and template:
        # Quoted again so the link holds no space, bracket or parenthesis (it is drawn
        # inside Markdown); %-escapes already there are kept.
        crm = quote(template.replace(PLACEHOLDER, quote(external_id, safe="")), safe=URL_SAFE)
    return Contact(
        phone=phone or None,
        call=f"tel:{dial}" if dial else None,
        email=email or None,
        mail=f"mailto:{email}" if email and MAILABLE.fullmatch(email) else None,
        crm=crm,
    )
