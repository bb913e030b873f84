"""The state of one SMTP connection: aiosmtpd's Session plus who submits and whether the
handler is busy. Its own module so that the handler and the server both name it without
importing each other."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import Session

from sealgate.submission.auth import Submitter


class SubmissionSession(Session):
    """aiosmtpd's per-connection state plus ours; a new one starts after STARTTLS (RFC 3207)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.submitter: Submitter | None = None
        # Set per transaction (MAIL FROM) when SPF, not AUTH, authorises the client.
        self.spf_submitter: Submitter | None = None
        # True while the handler decides and commits at the end of DATA.
        self.busy = False

    @property
    def client(self) -> str:
        """The client's IP address, for logs and the submission row."""
        return str(self.peer[0]) if isinstance(self.peer, tuple) else str(self.peer or "")

    # aiosmtpd sets login_data after every AUTH and logs a deprecation warning when it does;
    # we keep the submitter instead, so the legacy attribute is accepted and dropped quietly.
    @property
    def login_data(self) -> Any:
        return None

    @login_data.setter
    def login_data(self, value: Any) -> None:
        pass
