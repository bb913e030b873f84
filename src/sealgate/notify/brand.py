"""The organisation's look in a mail: its support line, its footer and its accent colour.

The name the mail calls the organisation is passed as `org_name` (the display name when one
is set); this adds the rest. Every mail ends with the same block: the organisation's name,
then its support line and footer when it has them, so every mail names who sent it. Mails
carry no logo: an inline image would make every notification larger and most mail programs
hide remote and inline images from unknown senders anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

# The button colour of mails whose organisation chose no accent (contrast 6.8:1 with white).
DEFAULT_ACCENT = "#1f5f8b"


@dataclass(frozen=True)
class MailBrand:
    """The organisation's texts and colour for a mail; the accent is already contrast-checked."""

    support: str = ""
    footer: str = ""
    accent: str = ""

    def template_values(self, org_name: str) -> dict[str, str]:
        return {
            "brand_name": org_name,
            "brand_support": self.support,
            "brand_footer": self.footer,
            "accent": self.accent or DEFAULT_ACCENT,
        }
