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
import threading
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from tessera_local.emulator import Emulator, call_wsgi

log = logging.getLogger("tessera.local.transport")


def install(emulator: Emulator, port: int) -> None:
    """Serve this process's botocore requests to ``127.0.0.1:port`` (or ``localhost``) in it."""
    _send_to_port(port, lambda request: serve(emulator, request))


def _send_to_port(port: int, send_there: Any) -> None:
    """botocore's requests to ``127.0.0.1:port`` (or ``localhost``) go to ``send_there(request)``
    (its answer is the botocore response); the others, over HTTP as before."""
    from botocore import endpoint as botocore_endpoint

    endpoint_class: Any = botocore_endpoint.Endpoint  # its _send is replaced
    origins = (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/")
    send_over_http = getattr(endpoint_class._send, "__wrapped__", endpoint_class._send)

    def send(endpoint: Any, request: Any) -> Any:
        if not str(request.url).startswith(origins):
            return send_over_http(endpoint, request)
        return send_there(request)

    send.__wrapped__ = send_over_http  # type: ignore[attr-defined]
    endpoint_class._send = send


def serve(app: Any, request: Any) -> Any:
    """One botocore request (an ``AWSPreparedRequest``) answered by the WSGI ``app``."""
    return response_of(request, answer(app, environ_of(request)))


Answer = tuple[str, list[tuple[str, str]], bytes]  # status line, headers, body


def answer(app: Any, environ: dict[str, Any]) -> Answer:
    """``app``'s answer to one request, as the server would send it."""
    try:
        return call_wsgi(app, environ)
    except Exception:  # as the server answers a failing app: 500, which botocore retries
        log.exception("the emulator failed on %s %s", environ["REQUEST_METHOD"], environ["RAW_URI"])
        return "500 INTERNAL SERVER ERROR", [], b""


def response_of(request: Any, served: Answer) -> Any:
    """The botocore response to ``request`` of an answer."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    status_line, header_list, body = served
    status = int(status_line.split(" ", 1)[0])
    headers: Any = dict(header_list)  # AWSResponse makes its case-insensitive dict of it
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


# ------------------------------------------------------------------ from another process
class Channel:
    """The emulator for other processes of this stack (tessera_local.workers), on a Unix socket:
    each connection sends WSGI environs (the body in place of the stream) and receives the
    answers, one at a time. A worker's thread keeps one connection, so its calls pay neither
    HTTP's parsing nor a new connection (the emulator's HTTP server spent more of the stack's
    CPU on that than on the calls); calls from different connections are served concurrently,
    under the emulator's lock as over HTTP."""

    def __init__(self, app: Any, address: str) -> None:
        from multiprocessing.connection import Listener

        self.app = app
        self.address = address
        self._listener = Listener(address, family="AF_UNIX")
        self._thread = threading.Thread(target=self._accept, name="aws-channel", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except OSError:  # closed: the stack stops
                return
            threading.Thread(
                target=self._serve, args=(connection,), name="aws-channel-call", daemon=True
            ).start()

    def _serve(self, connection: Any) -> None:
        with connection:
            while True:
                try:
                    environ, body = connection.recv()
                except (EOFError, OSError):
                    return
                environ.update({"wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr})
                try:
                    connection.send(answer(self.app, environ))
                except OSError:
                    return

    def close(self) -> None:
        self._listener.close()


def connect(address: str, port: int) -> None:
    """Send this process's botocore requests to ``127.0.0.1:port`` over the :class:`Channel` at
    ``address`` (a connection per thread) instead of HTTP."""
    from multiprocessing.connection import Client

    local = threading.local()

    def over_channel(request: Any) -> Any:
        if getattr(local, "connection", None) is None:
            local.connection = Client(address, family="AF_UNIX")
        environ = environ_of(request)
        body = environ.pop("wsgi.input").getvalue()
        del environ["wsgi.errors"]
        try:
            local.connection.send((environ, body))
            served = local.connection.recv()
        except (EOFError, OSError) as error:  # the stack is gone
            local.connection = None
            raise ConnectionError(f"the local stack's emulator is gone: {error}") from None
        return response_of(request, served)

    _send_to_port(port, over_channel)


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
