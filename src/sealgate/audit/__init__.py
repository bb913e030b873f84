"""The audit trail (issue 12): an append-only, hash-chained record of who did what."""
