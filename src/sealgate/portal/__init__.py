"""Portal: the web pages where a guest proves their address and reads a secure message.

Receives: HTTPS requests from anyone holding a notification link `<base_url>/m/<token>`.
Hands off: code mails to the outbound queue (`outbound_jobs`, kind `code`); `portal_sessions`
rows; `recipients.opened_at`. Reads messages and attachments from the vault.
Trust: faces the internet unauthenticated. Holds the vault master key (to decrypt what it
shows) and keys derived from it for code hashes and CSRF tokens; stores only hashes of link
tokens, codes and session secrets. A GET never changes state (mail scanners pre-fetch links).
Nothing here logs content, addresses, codes or tokens. HTML bodies are sanitised (nh3) and
shown in a sandboxed iframe under a CSP that loads nothing; attachments are always downloads.
Refuses: unknown/expired links (404), forms without a valid CSRF token or from another origin
(403), sessions of another recipient (403 or back to the start page), wrong codes (400),
too many codes or attempts (429).
Standards: RFC 6265 (cookies), RFC 6266 (Content-Disposition), CSP Level 3.
"""

from sealgate.portal.app import create_app

__all__ = ["create_app"]
