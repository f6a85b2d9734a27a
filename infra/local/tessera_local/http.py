"""The local stack's one HTTP port: what CloudFront would serve in the cloud.

- ``/api/...``: API Gateway. The request becomes the REST proxy event API Gateway sends, for the
  route template.yaml declares (a path the template does not declare gets API Gateway's answer),
  and goes to the function that route names.
- ``/_local/outbox``: every mail the system sent (captured by the emulated SES), newest last;
  ``?after=N`` leaves out the first N (a poller asks only for what is new).
- ``/_local/sms``: every SMS the system published (captured by the emulated SNS), newest last.
- ``/_local/iam``: every AWS call each function made, and those its template policy would deny.
- ``/_local/usage``: what the functions used, as AWS bills it (``?reset=1`` starts again).
- anything else: the object in the portal bucket, as S3 behind CloudFront would serve it.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from api.headers import API_HEADERS, page_headers
from tessera_local import iam, usage
from tessera_local.lambdas import Functions
from tessera_local.template import ACCOUNT_ID, REGION, Template

log = logging.getLogger("tessera.local.http")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # "/api/tickets/{ticket_id}"
    function: str
    pattern: re.Pattern[str]

    @classmethod
    def make(cls, method: str, resource: str, function: str) -> Route:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", resource):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return cls(method.upper(), resource, function, re.compile(f"^{regex}$"))


def api_routes(template: Template) -> list[Route]:
    """Every ``Type: Api`` event of every function in the template."""
    routes = []
    for logical_id in template.of_type("AWS::Serverless::Function"):
        events = template.function_properties(logical_id).get("Events", {})
        for event in events.values():
            if event["Type"] == "Api":
                props = event["Properties"]
                routes.append(Route.make(props["Method"], props["Path"], template.ref(logical_id)))
    # API Gateway prefers a literal path segment to a {parameter} (/api/tickets/changes before
    # /api/tickets/{ticket_id}); the first matching route wins here, so literal paths go first.
    return sorted(routes, key=lambda r: r.resource.count("{"))


def proxy_event(
    route: Route, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for this request."""
    match = route.pattern.match(path)
    assert match is not None
    params = parse_qs(query, keep_blank_values=True)
    text_body = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    path_parameters = {k: unquote(v) for k, v in match.groupdict().items()} or None
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in params.items()} or None,
        "multiValueQueryStringParameters": params or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "resourceId": "local",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "resourcePath": route.resource,
            "httpMethod": method,
            "path": f"/local{path}",
            "protocol": "HTTP/1.1",
            "apiId": "local",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def sms_sent() -> list[dict[str, Any]]:
    """Every SMS published through the emulated SNS (to a topic or a phone), oldest first."""
    from moto.sns.models import sns_backends

    backend = sns_backends[ACCOUNT_ID][REGION]
    sent: list[dict[str, Any]] = [
        {
            "id": message_id,
            "topic": arn,
            "text": message,
            "attributes": {
                k: v.get("Value", v.get("StringValue")) for k, v in (attrs or {}).items()
            },
        }
        for arn, topic in backend.topics.items()
        for message_id, message, _subject, attrs, _group in topic.sent_notifications
    ]
    sent += [
        {"id": message_id, "phone": phone, "text": message, "attributes": {}}
        for message_id, (phone, message) in backend.sms_messages.items()
    ]
    return sent


def outbox(ses_backend: Any, after: int = 0) -> list[dict[str, Any]]:
    """Every mail sent through the emulated SES, oldest first, as JSON; ``after`` skips the
    first that many (a poller asks only for what it has not seen)."""
    mails = []
    for sent in list(ses_backend.sent_messages)[after:]:
        raw = getattr(sent, "raw_data", None)
        if raw is not None:
            parsed = message_from_bytes(
                raw.encode() if isinstance(raw, str) else raw, policy=default_policy
            )
            # moto lists an address once per place it saw it (Destinations, To): once is enough.
            mails.append(_mail_json(sent.id, parsed, list(dict.fromkeys(sent.destinations))))
        else:
            mails.append(
                {
                    "id": sent.id,
                    "from": sent.source,
                    "to": [a for group in sent.destinations.values() for a in group],
                    "subject": sent.subject,
                    "text": sent.body,
                    "headers": {},
                }
            )
    return mails


def _mail_json(mail_id: str, message: Message, destinations: list[str]) -> dict[str, Any]:
    body = message.get_body(preferencelist=("plain",)) if hasattr(message, "get_body") else None
    text = body.get_content() if body is not None else ""
    return {
        "id": mail_id,
        "from": str(message.get("From", "")),
        "to": destinations,
        "subject": str(message.get("Subject", "")),
        "text": text,
        "headers": {k: str(v) for k, v in message.items()},
    }


class LocalHttp(ThreadingHTTPServer):
    daemon_threads = True
    meter: usage.Meter | None = None  # set by the stack: GET /_local/usage

    def __init__(
        self,
        port: int,
        template: Template,
        functions: Functions,
        s3: Any,
        ses_backend: Any,
        recorder: iam.Recorder,
    ) -> None:
        self.template = template
        self.recorder = recorder
        self.routes = api_routes(template)
        self.functions = functions
        self.s3 = s3
        self.ses_backend = ses_backend
        self.portal_bucket = template.ref("PortalBucket")
        # Presigned uploads go to the emulator's S3 (in AWS: the bucket's S3 endpoint).
        emulator = urlsplit(os.environ["AWS_ENDPOINT_URL"])
        self.page_headers = page_headers(f"{emulator.scheme}://{emulator.netloc}")
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: LocalHttp
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def __getattr__(self, name: str) -> Any:
        # Any other method (OPTIONS, TRACE, made-up ones) gets what API Gateway answers for a
        # method no route declares, instead of http.server's 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, {"message": "Request Too Long"})
            return
        body = self.rfile.read(length) if length else b""
        try:
            if url.path.startswith("/api/") or url.path == "/api":
                self._api(url.path, url.query, body)
            elif url.path == "/_local/outbox":
                after = parse_qs(url.query).get("after", ["0"])[-1]
                if not after.isdigit():
                    self._send(400, {"message": "after: a count of mails (0 or more)"})
                    return
                self._send(200, outbox(self.server.ses_backend, int(after)))
            elif url.path == "/_local/sms":
                self._send(200, sms_sent())
            elif url.path == "/_local/usage" and self.server.meter is not None:
                usage = self.server.meter.snapshot()
                if "reset=1" in url.query:
                    self.server.meter.reset()
                self._send(200, usage)
            elif url.path == "/_local/iam":
                calls = self.server.recorder.calls
                denied = iam.denied(self.server.template, calls)
                self._send(200, {"calls": [asdict(c) for c in calls], "denied": denied})
            else:
                self._static(url.path)
        except Exception:
            log.exception("%s %s failed", self.command, self.path)
            self._send(502, {"message": "Internal server error"})

    def _api(self, path: str, query: str, body: bytes) -> None:
        candidates = [r for r in self.server.routes if r.pattern.match(path)]
        route = next((r for r in candidates if r.method in {self.command, "ANY"}), None)
        if route is None:
            # What API Gateway answers for a path or method no resource declares.
            self._send(403, {"message": "Missing Authentication Token"})
            return
        headers = dict(self.headers.items())
        event = proxy_event(route, self.command, path, query, headers, body)
        result = self.server.functions.invoke(route.function, event)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        response_headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response_headers[name] = ", ".join(values)
        self._respond(int(result.get("statusCode", 200)), response_headers, data)

    def _static(self, path: str) -> None:
        key = path.lstrip("/") or "index.html"
        if key.endswith("/"):
            key += "index.html"
        s3 = self.server.s3
        try:
            obj = s3.get_object(Bucket=self.server.portal_bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            self._send(404, {"message": "Not Found"})
            return
        content_type = obj.get("ContentType") or mimetypes.guess_type(key)[0]
        self._respond(
            200,
            {
                "Content-Type": content_type or "application/octet-stream",
                **self.server.page_headers,
            },
            obj["Body"].read(),
        )

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, default=str).encode()
        self._respond(status, {"Content-Type": "application/json", **API_HEADERS}, data)

    def _respond(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in {"content-length", "connection"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
