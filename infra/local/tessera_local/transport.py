"""The functions' AWS calls reach the emulator without a socket.

The functions run in the stack's own process, and so does the emulator; over HTTP each call
paid for a connection from botocore's pool, a werkzeug server thread made for it, and the
request parsed back from the wire (about a tenth of the stack's CPU under load, dozens of calls
a mail). :func:`install` hands every botocore request this process makes to the emulator's port
straight to :class:`~tessera_local.emulator.Emulator` as the WSGI request the server would have
made of it: the same lock, the same journal, the same answer. Clients in other processes (the
``tessera`` CLI, the tests, a browser) still come in through the port.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from tessera_local.emulator import Emulator, call_wsgi

log = logging.getLogger("tessera.local.transport")


def install(emulator: Emulator, port: int) -> None:
    """Serve this process's botocore requests to ``127.0.0.1:port`` (or ``localhost``) in it."""
    from botocore import endpoint as botocore_endpoint

    endpoint_class: Any = botocore_endpoint.Endpoint  # its _send is replaced
    origins = (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/")
    send_over_http = getattr(endpoint_class._send, "__wrapped__", endpoint_class._send)

    def send(endpoint: Any, request: Any) -> Any:
        if not str(request.url).startswith(origins):
            return send_over_http(endpoint, request)
        return serve(emulator, request)

    send.__wrapped__ = send_over_http  # type: ignore[attr-defined]
    endpoint_class._send = send


def serve(app: Any, request: Any) -> Any:
    """One botocore request (an ``AWSPreparedRequest``) answered by the WSGI ``app``."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    try:
        status_line, header_list, body = call_wsgi(app, environ_of(request))
    except Exception:  # as the server answers a failing app: 500, which botocore retries
        log.exception("the emulator failed on %s %s", request.method, request.url)
        status_line, header_list, body = "500 INTERNAL SERVER ERROR", [], b""
    status = int(status_line.split(" ", 1)[0])
    headers: Any = dict(header_list)  # AWSResponse makes its case-insensitive dict of it
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def environ_of(request: Any) -> dict[str, Any]:
    """The WSGI environ werkzeug's server (with moto's request handler) makes of ``request``."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    url = urlsplit(str(request.url))
    body = _bytes(request.body)
    target = url.path + (f"?{url.query}" if url.query else "")  # as sent on the request line
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(request.method).upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(url.path).decode("latin-1"),
        "QUERY_STRING": url.query,
        "RAW_URI": target,
        "REQUEST_URI": target,
        "SERVER_NAME": url.hostname or "127.0.0.1",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    preserved: dict[str, str] = {}
    for name, raw in request.headers.items():
        value = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
        key = environ_key_for_header(name)
        if key == "CONTENT_LENGTH":
            continue  # the body's own length stands
        if "_" in name and not should_preserve_original_header_name(name):
            continue  # as werkzeug's server drops them
        if "_" in name:
            preserved.setdefault(key, name)
        environ[key] = value.replace("\r\n", "")
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return environ


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray):
        return bytes(body)
    data = body.read()  # a file-like body (an S3 upload)
    if hasattr(body, "seek"):
        body.seek(0)  # a retry reads it again
    return data if isinstance(data, bytes) else str(data).encode("utf-8")
