"""A local HTTP server that speaks the part of the MessageBird REST API we use.

POST /messages with `Authorization: AccessKey <key>` and a JSON body {recipients, originator,
body} answers 201 and a body shaped like MessageBird's; a wrong key gets 401, a malformed
request 422, as MessageBird does. `fail_next(status)` makes the next request fail with that
status and `delay` holds answers back (to run into the client's timeout). Accepted messages
are kept in `messages`. Serves on 127.0.0.1 in a thread of the test process.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_RECIPIENT = re.compile(r"^[1-9][0-9]{6,14}$")


def _error(code: int, description: str, parameter: str | None) -> dict[str, Any]:
    return {"errors": [{"code": code, "description": description, "parameter": parameter}]}


class MessageBirdLab:
    def __init__(self, access_key: str = "test_lab_key") -> None:
        self.access_key = access_key
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.delay = 0.0
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MessageBirdLab:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, status: int) -> None:
        with self._lock:
            self._failures.append(status)

    def answer(self, authorization: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        """The status and JSON body MessageBird would send for this request."""
        with self._lock:
            self.requests += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return failure, _error(25 if failure >= 500 else 9, "lab failure", None)
        if authorization != f"AccessKey {self.access_key}":
            return 401, _error(2, "Request not allowed (incorrect access_key)", "access_key")
        try:
            request = json.loads(raw)
        except ValueError:
            return 422, _error(9, "no (correct) recipients found", "recipients")
        recipients = request.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            return 422, _error(9, "no (correct) recipients found", "recipients")
        if not all(isinstance(r, str) and _RECIPIENT.match(r) for r in recipients):
            return 422, _error(9, "no (correct) recipients found", "recipients")
        if not request.get("originator"):
            return 422, _error(9, "originator is required", "originator")
        if not request.get("body"):
            return 422, _error(9, "body is required", "body")
        with self._lock:
            self.messages.append(request)
        return 201, self._created(request)

    def _created(self, request: dict[str, Any]) -> dict[str, Any]:
        message_id = secrets.token_hex(16)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        items = [
            {"recipient": int(r), "status": "sent", "statusDatetime": now}
            for r in request["recipients"]
        ]
        return {
            "id": message_id,
            "href": f"{self.base_url}/messages/{message_id}",
            "direction": "mt",
            "type": "sms",
            "originator": request["originator"],
            "body": request["body"],
            "reference": None,
            "validity": None,
            "gateway": 10,
            "typeDetails": {},
            "datacoding": "plain",
            "mclass": 1,
            "scheduledDatetime": None,
            "createdDatetime": now,
            "recipients": {
                "totalCount": len(items),
                "totalSentCount": len(items),
                "totalDeliveredCount": 0,
                "totalDeliveryFailedCount": 0,
                "items": items,
            },
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        lab = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server spelling)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path != "/messages":
                    status, body = 404, _error(20, "not found", None)
                else:
                    status, body = lab.answer(self.headers.get("Authorization"), raw)
                if lab.delay:
                    time.sleep(lab.delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler
