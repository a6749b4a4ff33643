"""Reports: the dashboards' numbers as files (HTML, CSV, JSON) and the monthly lead review."""

from leaddash.reports.dashboards import REPORTS, build_report
from leaddash.reports.export import (
    csv_text,
    csv_zip,
    render_html,
    report_json,
    shown_table,
)
from leaddash.reports.model import Read, Report, last_full_month, session_reader
from leaddash.reports.review import build_review
from leaddash.reports.review_html import report_html

__all__ = [
    "REPORTS",
    "Read",
    "Report",
    "build_report",
    "build_review",
    "csv_text",
    "csv_zip",
    "last_full_month",
    "render_html",
    "report_html",
    "report_json",
    "session_reader",
    "shown_table",
]
