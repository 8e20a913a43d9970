"""A local SMS provider on 127.0.0.1 that behaves like a real one where it matters.

It speaks the JSON API that journeys/channels/sms.py's HTTP backend expects, checks the
bearer key, and honours `Idempotency-Key` the way Telnyx or Resend do: a repeated key
gets the first answer again (same message id) and is not delivered a second time.
Every request is recorded, so a test can count duplicate requests (the cost of a
retry) apart from duplicate deliveries (what a patient would see).

It can be told to misbehave for the next requests: answer 500, refuse the number with
400, accept and then drop the connection without answering, or accept and hold the
answer until released (to kill a worker between the provider's accept and our commit).
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "fake-sms-key"
E164 = re.compile(r"\+[1-9]\d{7,14}")


@dataclass
class Request:
    key: str
    to: str
    body: str
    authorization: str
    client_port: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Message:
    id: str
    key: str
    to: str
    body: str


class FakeSMSProvider:
    def __init__(self, api_key=API_KEY):
        self.api_key = api_key
        self.requests = []
        self.messages = {}  # Idempotency-Key -> the one Message delivered for it.
        self._faults = []  # What the next requests get: "500", "400", "drop", "hold".
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.holding = threading.Event()  # Set while a request waits for release().
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.provider = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}/v1/messages"

    @property
    def port(self):
        return self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def fail_next(self, *faults):
        """Queue faults for the next requests, in order: "500", "400", "drop", "hold"."""
        with self._lock:
            self._faults.extend(faults)

    def release(self):
        """Let held requests answer (or find their client gone)."""
        self._release.set()

    def counts(self):
        """(requests, delivered messages, duplicate requests) so far."""
        with self._lock:
            requests, delivered = len(self.requests), len(self.messages)
        return requests, delivered, requests - delivered

    def requests_for(self, key):
        with self._lock:
            return [r for r in self.requests if r.key == key]

    def _accept(self, request):
        """Record a request; deliver it unless its key was seen. Returns (status, body, fault)."""
        with self._lock:
            self.requests.append(request)
            fault = self._faults.pop(0) if self._faults else None
            if fault == "500":
                return 500, {"error": "internal_error"}, fault
            if fault == "400" or not E164.fullmatch(request.to):
                return 400, {"error": "invalid_number", "to": request.to}, fault
            replay = request.key in self.messages
            if not replay:
                self.messages[request.key] = Message(
                    id=f"fake-{len(self.messages) + 1}",
                    key=request.key,
                    to=request.to,
                    body=request.body,
                )
            message = self.messages[request.key]
        return (200 if replay else 201), {"id": message.id, "status": "queued"}, fault


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        provider = self.server.provider
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._answer(400, {"error": "invalid_json"})
        authorization = self.headers.get("Authorization", "")
        if authorization != f"Bearer {provider.api_key}":
            return self._answer(401, {"error": "unauthorized"})
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            return self._answer(422, {"error": "idempotency_key_required"})
        status, body, fault = provider._accept(
            Request(
                key=key,
                to=str(payload.get("to", "")),
                body=str(payload.get("body", "")),
                authorization=authorization,
                client_port=self.client_address[1],
            )
        )
        if fault == "drop":
            # Accepted and delivered, but the client never hears so.
            self.close_connection = True
            return None
        if fault == "hold":
            provider.holding.set()
            provider._release.wait(timeout=60)
        return self._answer(status, body)

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # The client died while we held the answer.

    def log_message(self, format, *args):
        pass  # Requests are recorded on the provider, not printed.
