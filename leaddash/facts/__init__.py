"""Fact upkeep: keeping LeadPass and the rollups equal to the leads, stage events and
touches. Services call it in their own transaction; analytics only reads what it keeps."""
