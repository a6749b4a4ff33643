"""Dashboard analytics: the LeadPass fact table, its upkeep, and the metrics read from it."""
