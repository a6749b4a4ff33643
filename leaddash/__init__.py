"""LeadDash: the shared lead contract between sales and marketing."""

__version__ = "0.1.0"
