"""The rep's queue: the core every lead action shares, the actions, and the reads."""
