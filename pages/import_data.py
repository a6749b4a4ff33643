"""Import: leads, activities or CRM outcomes from a CSV file, checked row by row first."""

import streamlit as st

from leaddash.ui.imports import (
    choose_kind,
    choose_mapping,
    confirm,
    preview,
    read_upload,
    show_coverage,
)
from leaddash.ui.login import current_actor
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Import")
st.caption(
    "Upload a CSV export, check how its columns map and every problem found, then "
    "confirm. Either every row is imported or none, unless you choose to skip bad rows."
)
show_flash()
kind = choose_kind()
table = read_upload(kind)
upload = choose_mapping(kind, table)
show_coverage(upload)
checked = preview(actor, upload)
confirm(actor, upload, checked)
