"""The baseline: a bare aiosmtpd server with STARTTLS and AUTH that accepts and drops mail.

It is the Python ceiling for `bench/submission.py`: same TLS, same protocol library, no work.
"""

from __future__ import annotations

import asyncio
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

from sealgate.submission.tls import server_context


class Drop:
    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        return "250 2.0.0 Ok: dropped"


def _accept(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
    return AuthResult(success=True)


async def main(port: int, cert: str, key: str) -> None:
    # aiosmtpd warns on every AUTH about a field it sets itself; nothing to act on here.
    warnings.filterwarnings("ignore", "Session.login_data")
    context = server_context(cert, key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            Drop(),
            tls_context=context,
            require_starttls=True,
            authenticator=_accept,
            auth_require_tls=True,
            hostname="bare",
        ),
        "127.0.0.1",
        port,
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
