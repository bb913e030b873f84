"""The one error the admin stage raises for a request it refuses (unknown, duplicate, invalid)."""


class AdminError(Exception):
    """An admin request cannot be carried out; the message is a sentence for the admin."""
