"""A fault-injecting HTTP proxy between the bot and the test wiki.

Seeded, so a failing run can be repeated: about one request in ``rate`` gets one of the faults
a bot meets on a live wiki (Wikimedia's edge answers 503 with Retry-After or an HTML error page;
the API answers maxlag, ratelimited or badtoken; connections drop; answers arrive cut mid-JSON
or late; and, worst for exactly-once, a write reaches the wiki and its answer is lost).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# Faults any request may get; a write (a POST with a token) may also get badtoken or lost-answer.
ANY_REQUEST = ("503", "500-html", "maxlag", "ratelimited", "drop", "cut", "delay")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def api_error(code: str, info: str, **extra: object) -> bytes:
    return json.dumps({"error": {"code": code, "info": info, **extra}}).encode()


class FaultProxy:
    """``with FaultProxy(wiki_api, seed) as proxy:`` then point the bot at ``proxy.api``."""

    def __init__(self, api: str, seed: int, rate: float = 0.2,
                 script: Callable[[str, dict[str, list[str]]], str | None] | None = None) -> None:
        target = urlparse(api)
        self.target_host = target.hostname or "127.0.0.1"
        self.target_port = target.port or 80
        self.path = target.path
        self.seed = seed
        self.rate = rate
        self.script = script  # a fault chosen for a given request (method, parameters), before any draw
        self.random = random.Random(seed)
        self.enabled = True
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def choose(self, is_write: bool, method: str = "GET", params: dict[str, list[str]] | None = None) -> str | None:
        """The fault for the next request, or None: one draw a request, in request order."""
        with self.lock:
            self.requests += 1
            scripted = self.script(method, params or {}) if self.enabled and self.script else None
            if scripted:
                self.faults[scripted] += 1
                return scripted
            if not self.enabled or self.random.random() >= self.rate:
                return None
            # Writes are few; half their faults are the one that matters most for exactly-once.
            kinds = ANY_REQUEST + ("badtoken",) + ("lost-answer",) * 8 if is_write else ANY_REQUEST
            kind = self.random.choice(kinds)
            self.faults[kind] += 1
            return kind

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.target_host, self.target_port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                self.handle_request(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.handle_request(self.rfile.read(length))

            def handle_request(self, body: bytes | None) -> None:
                params = parse_qs(urlparse(self.path).query)
                if body and "urlencoded" in (self.headers.get("Content-Type") or ""):
                    params.update(parse_qs(body.decode("utf-8", "replace")))
                elif body:
                    params["token"] = ["(multipart)"] if b'name="token"' in body else []
                is_write = self.command == "POST" and bool(params.get("token")) and \
                    params.get("action", [""])[0] not in ("login", "clientlogin")
                kind = proxy.choose(is_write, self.command, params)
                if kind == "503":
                    return self.reply(503, b"<html><body>Service Unavailable</body></html>", "text/html",
                                      [("Retry-After", "1")])
                if kind == "500-html":
                    return self.reply(500, b"<!DOCTYPE html><html><body><h1>Internal error</h1></body></html>",
                                      "text/html")
                if kind == "maxlag":
                    return self.reply(200, api_error("maxlag", "Waiting for 127.0.0.1: 3 seconds lagged",
                                                     host="127.0.0.1", lag=3, type="db"), "application/json",
                                      [("Retry-After", "1"), ("X-Database-Lag", "3")])
                if kind == "ratelimited":
                    return self.reply(200, api_error("ratelimited", "As an anti-abuse measure, you are limited "
                                                     "from performing this action too many times."),
                                      "application/json")
                if kind == "badtoken":
                    return self.reply(200, api_error("badtoken", "Invalid CSRF token."), "application/json")
                if kind == "drop":
                    return self.drop()
                if kind == "delay":
                    time.sleep(2)
                headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
                status, answer_headers, answer = proxy.forward(self.command, self.path, headers, body)
                if kind == "lost-answer":  # the wiki did it; the bot never hears
                    return self.drop()
                if kind == "cut":
                    answer = answer[: max(1, len(answer) // 2)]
                self.reply(status, answer, None, [(k, v) for k, v in answer_headers
                                                  if k.lower() not in HOP_BY_HOP])

            def reply(self, status: int, body: bytes, content_type: str | None,
                      headers: list[tuple[str, str]] | None = None) -> None:
                self.send_response(status)
                for key, value in headers or []:
                    self.send_header(key, value)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

        return Handler

    def report(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        return f"seed {self.seed}: {self.requests} requests, {sum(self.faults.values())} faults ({kinds})"
