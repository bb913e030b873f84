"""The ID every `sealgate message ...` command takes: a message id or its submission's id."""

from sealgate.directory import find_message

__all__ = ["find_message"]
