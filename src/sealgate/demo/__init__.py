"""Demo: a local catch-all mailbox so a new user sees sealgate's mails without any mail server.

Receives: every mail sealgate sends (notifications, code mails, reports) over SMTP on loopback.
Hands off: one .eml file per mail in `<data_dir>/mailbox/` and a page listing them.
Trust: development only; listens on 127.0.0.1 and keeps mail in the clear on disk.
"""

from sealgate.demo.mailbox import Mailbox, mailbox_app

__all__ = ["Mailbox", "mailbox_app"]
