"""Route's tests queue submissions the way intake's do, and run the stages with `pipeline`."""

from __future__ import annotations

from tests.intake.conftest import submit, vault

__all__ = ["submit", "vault"]
