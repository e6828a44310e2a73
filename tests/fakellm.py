"""The one fake in the test suite: an OpenAI-compatible LLM on 127.0.0.1.

A stdlib `http.server` in a daemon thread, listening on an ephemeral port.
It answers `POST /v1/chat/completions` (streaming SSE and plain JSON) and
`GET /v1/models` from a script, and records every request so tests can assert
what aider (or aidermem's summarizer) actually sent.

Scripting, per request, in this order of precedence:
  1. the queue filled by `enqueue(...)` / `enqueue_failure(...)` (one item per request);
  2. `responder(request) -> str | Failure | None` (None falls through);
  3. `default_reply`.

Failures: `Failure.http_500()`, `Failure.delay(seconds)` (sleeps before answering,
for client timeouts), `Failure.garbage()` (a 200 whose body is not JSON/SSE).

It never touches the network beyond the loopback socket it owns.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Request:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    raw: bytes
    received: float = 0.0  # time.perf_counter() when its headers were in (for benchmarks)

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.body, dict):
            return list(self.body.get("messages") or [])
        return []

    @property
    def text(self) -> str:
        """All message contents joined: handy for `"needle" in req.text`."""
        parts: list[str] = []
        for msg in self.messages:
            content = msg.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):  # multi-part content
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(parts)

    @property
    def streaming(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def last_user_text(self) -> str:
        for msg in reversed(self.messages):
            if msg.get("role") == "user" and isinstance(msg.get("content"), str):
                return msg["content"]
        return ""


@dataclass(frozen=True)
class Failure:
    """A scripted misbehaviour for one request."""

    kind: str  # "http_500" | "delay" | "garbage"
    seconds: float = 0.0
    then: str = "late reply"  # what a delayed request finally answers

    @classmethod
    def http_500(cls) -> Failure:
        return cls("http_500")

    @classmethod
    def delay(cls, seconds: float, then: str = "late reply") -> Failure:
        return cls("delay", seconds=seconds, then=then)

    @classmethod
    def garbage(cls) -> Failure:
        return cls("garbage")


Reply = str | Failure
Responder = Callable[[Request], Reply | None]


@dataclass
class FakeLLM:
    """Start with `start()`, stop with `stop()`; or use the `fake_llm` fixture."""

    default_reply: str = "OK."
    responder: Responder | None = None
    model_name: str = "fake"
    requests: list[Request] = field(default_factory=list)
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _closing: threading.Event = field(default_factory=threading.Event)

    # -- scripting -------------------------------------------------------
    def enqueue(self, *texts: str) -> None:
        with self._lock:
            self._queue.extend(texts)

    def enqueue_failure(self, failure: Failure) -> None:
        with self._lock:
            self._queue.append(failure)

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeLLM not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What aider's `--openai-api-base` wants: ends in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[Request]:
        """Block until `count` chat requests arrived (aider sends them asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = self.chat_requests()
            if len(reqs) >= count:
                return reqs
            time.sleep(0.05)
        raise AssertionError(f"expected {count} chat requests, got {len(self.chat_requests())}")

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeLLM:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        # A short poll interval so stop() (shutdown) returns at once.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name="fakellm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wake delayed handlers so shutdown is prompt
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- internals -------------------------------------------------------
    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            answer = self.responder(request)
            if answer is not None:
                return answer
        return self.default_reply


def _chunk(model: str, cid: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _usage(request: Request, text: str) -> dict[str, int]:
    # Rough word counts: enough for litellm's cost/usage bookkeeping.
    prompt = max(1, len(request.text.split()))
    completion = max(1, len(text.split()))
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _pieces(text: str, size: int = 16) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _make_handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

        def _read(self) -> Request:
            received = time.perf_counter()  # the request line and headers are parsed
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            req = Request(self.command, self.path, dict(self.headers.items()), body, raw,
                          received)
            fake._record(req)
            return req

        def _send(self, status: int, ctype: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, "application/json", json.dumps(obj).encode())

        def do_GET(self) -> None:
            req = self._read()
            if req.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [
                    {"id": fake.model_name, "object": "model", "created": 0, "owned_by": "fake"}
                ]})
            else:
                self._json(404, {"error": {"message": f"no route {req.path}"}})

        def do_POST(self) -> None:
            req = self._read()
            if not req.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {req.path}"}})
                return
            reply = fake._next_reply(req)
            if isinstance(reply, Failure):
                if reply.kind == "http_500":
                    self._json(500, {"error": {"message": "fake server error",
                                               "type": "server_error"}})
                    return
                if reply.kind == "garbage":
                    self._send(200, "application/json", b"<html>this is not json{{{")
                    return
                if fake._closing.wait(reply.seconds):
                    return
                reply = reply.then
            model = str((req.body or {}).get("model") or fake.model_name)
            if req.streaming:
                self._stream(req, model, reply)
            else:
                self._json(200, {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply}}],
                    "usage": _usage(req, reply),
                })

        def _stream(self, req: Request, model: str, text: str) -> None:
            # No Content-Length: the stream ends when we close the connection.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            cid = "chatcmpl-fake-stream"
            events = [_chunk(model, cid, {"role": "assistant", "content": ""}, None)]
            events += [_chunk(model, cid, {"content": p}, None) for p in _pieces(text)]
            final = _chunk(model, cid, {}, "stop")
            final["usage"] = _usage(req, text)
            events.append(final)
            try:
                for event in events:
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. Ctrl-C in aider); nothing to report

    return Handler


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    try:
        yield server
    finally:
        server.stop()
