"""The agreement pages' drawing helpers: one shared component for versions, sign-off,
diff and discussion, with the definition's and the SLA's own editors plugged in."""

from leaddash.ui.agreements.component import show_agreement
from leaddash.ui.agreements.definition_editor import DEFINITION
from leaddash.ui.agreements.sla_editor import SLA

__all__ = ["DEFINITION", "SLA", "show_agreement"]
