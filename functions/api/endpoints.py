"""Declaring endpoints once: route, who may call it, what it accepts and returns.

Each :func:`endpoint` registers a Chalice route and records an :class:`Endpoint`, from which
:mod:`api.openapi` writes the OpenAPI document — so the document cannot drift from the code.
Around every view it: authenticates the caller (the roles it names; none for public routes),
validates the path, query and JSON body against the declared JSON Schemas (fastjsonschema), and
turns domain errors into statuses in one JSON shape (:func:`error_response`), since Chalice turns
any exception a view raises into a bare 500 before middleware sees it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Chalice, ChaliceViewError, Request, Response

from api.headers import API_HEADERS
from tessera.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    TesseraError,
    Unauthorized,
    ValidationFailed,
)
from tessera.identity.access import Principal, Role
from tessera.observability import set_correlation
from tessera.safeguards.rate_limits import RateLimited

View = Callable[..., Any]

PUBLIC: frozenset[Role] = frozenset()
CUSTOMERS = frozenset({Role.CUSTOMER, Role.AGENT, Role.LEAD, Role.ADMIN})
STAFF = frozenset({Role.AGENT, Role.LEAD, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

JSON = "application/json"
MAX_BODY_BYTES = 256 * 1024  # JSON bodies; files go straight to S3 by presigned upload


class PayloadTooLarge(ValidationFailed):
    """HTTP 413."""


class UnsupportedMediaType(ValidationFailed):
    """HTTP 415: a body that is not JSON."""


_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (ValidationFailed, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (PreconditionFailed, 412),
    (Conflict, 409),
    (RateLimited, 429),
)


def status_of(error: Exception) -> int:
    """The HTTP status a domain error (or one of Chalice's request errors) stands for."""
    if isinstance(error, ChaliceViewError):
        return int(error.STATUS_CODE)
    return next((code for kind, code in _STATUS if isinstance(error, kind)), 500)


def error_response(error: Exception) -> Response:
    """Domain errors (and Chalice's own request errors) as statuses, in one JSON shape:
    ``{"error": {"code", "message", "field"?, "line"?}}``."""
    status = status_of(error)
    body: dict[str, Any] = {"code": type(error).__name__, "message": str(error)}
    if isinstance(error, ValidationFailed):
        body["field"], body["message"] = error.field, error.problem
        if error.line is not None:
            body["line"] = error.line
    headers: dict[str, str | list[str]] = {"Content-Type": JSON, **API_HEADERS}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return Response(body={"error": body}, status_code=status, headers=headers)


def as_response(result: Any) -> Response:
    """A view's result as a Response that always says it is JSON."""
    response = result if isinstance(result, Response) else Response(body=result, status_code=200)
    response.headers.setdefault("Content-Type", JSON)
    for name, value in API_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    roles: frozenset[Role]
    summary: str
    tag: str
    body: Mapping[str, Any] | None = None
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    responses: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: frozenset[int] = frozenset()  # error statuses beyond those the shape implies
    # Counted against the caller's budget (tessera.safeguards.rate_limits): public and customer
    # routes.
    throttled: bool = False


@dataclass
class Call:
    """What a view receives: the caller, the validated body and query, the raw request."""

    principal: Principal | None
    body: Any
    query: Mapping[str, Any]
    request: Request

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "only public endpoints have no principal"
        return self.principal

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return str(value) if value is not None else None


ENDPOINTS: list[Endpoint] = []


# Schemas are module-level constants; each is compiled on first use and kept.
_COMPILED: dict[int, Callable[[Any], Any]] = {}


def _validate(schema: Mapping[str, Any], value: Any, location: str) -> Any:
    """``value`` checked against ``schema``; ValidationFailed naming the offending field."""
    import fastjsonschema

    validate = _COMPILED.get(id(schema))
    if validate is None:
        validate = _COMPILED[id(schema)] = fastjsonschema.compile(dict(schema))
    try:
        return validate(value)
    except fastjsonschema.JsonSchemaValueException as error:
        raise _naming_the_field(error, location) from None


def _naming_the_field(error: Any, location: str) -> ValidationFailed:
    name = str(error.name or "data")
    prefix = "" if name == "data" else name.removeprefix("data.") + "."
    message = str(error.message)
    named = re.findall(r"'([^']+)'", message.split("must", 1)[-1])
    if error.rule == "required" and named:
        return ValidationFailed(prefix + named[0], "is required")
    if error.rule == "additionalProperties" and named:
        return ValidationFailed(prefix + named[0], "is not a known field")
    field_name = location if name == "data" else name.removeprefix("data.")
    return ValidationFailed(field_name, message.removeprefix(name).strip())


def _query_values(spec: Endpoint, raw: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in raw:
        if name not in spec.query:
            raise ValidationFailed(name, "is not a known query parameter")
    for name, schema in spec.query.items():
        if name not in raw:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        text = raw[name]
        _check_text(text, name)
        if schema.get("type") == "integer":
            if not re.fullmatch(r"-?[0-9]{1,18}", text):
                raise ValidationFailed(name, "must be a whole number")
            values[name] = _validate(schema, int(text), name)
        else:
            values[name] = _validate(schema, text, name)
    return values


def make_endpoint_decorator(
    app: Chalice,
    authenticate: Callable[[Request], Principal],
    throttle: Callable[[Request, Principal | None], None] | None = None,
) -> Callable[..., Callable[[View], View]]:
    """The ``@endpoint(...)`` decorator bound to one app, one way to authenticate and one way to
    count callers' requests (``throttle``, run on throttled endpoints after authentication)."""

    def endpoint(
        method: str,
        path: str,
        *,
        roles: frozenset[Role],
        summary: str,
        tag: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Mapping[str, Any]] | None = None,
        path_params: Mapping[str, Mapping[str, Any]] | None = None,
        responses: Mapping[int, Mapping[str, Any]] | None = None,
        headers: Mapping[str, Mapping[str, Any]] | None = None,
        errors: frozenset[int] = frozenset(),
        throttled: bool | None = None,
    ) -> Callable[[View], View]:
        if throttled is None:
            throttled = throttle is not None and (roles == PUBLIC or Role.CUSTOMER in roles)
        spec = Endpoint(
            method=method,
            path=path,
            roles=roles,
            summary=summary,
            tag=tag,
            body=body,
            query=query or {},
            path_params=path_params or {},
            responses=responses or {},
            headers=headers or {},
            errors=errors,
            throttled=throttled,
        )
        ENDPOINTS.append(spec)

        def register(view: View) -> View:
            @functools.wraps(view)
            def guarded(**params: str) -> Any:
                # The ticket a request is about is the correlation id of all it logs (None
                # clears the previous request's on a warm container).
                set_correlation(params.get("ticket_id"))
                try:
                    request = app.current_request
                    assert request is not None
                    principal = None
                    if roles:
                        principal = authenticate(request)
                        if not principal.roles & roles:
                            raise Forbidden(f"{'/'.join(sorted(roles))} only")
                    if spec.throttled and throttle is not None:
                        throttle(request, principal)
                    for name, schema in spec.path_params.items():
                        _validate(schema, params.get(name), name)
                    payload = None
                    if spec.body is not None and not _is_json(request):
                        raise UnsupportedMediaType("Content-Type", f"must be {JSON}")
                    if spec.body is not None:
                        payload = _validate(spec.body, _json_body(request), "body")
                    # After validation, so a field over its limit is named; this catches what
                    # is valid field by field but too large as a whole.
                    if len(request.raw_body or b"") > MAX_BODY_BYTES:
                        raise PayloadTooLarge("body", f"is larger than {MAX_BODY_BYTES} bytes")
                    query_values = _query_values(spec, request.query_params or {})
                    call = Call(principal, payload, query_values, request)
                    return as_response(view(call, **params))
                except (TesseraError, ChaliceViewError) as error:
                    return error_response(error)

            # Any type reaches the view, which refuses a non-JSON body itself: Chalice's own 415
            # would answer in another shape than every other error.
            app.route(path, methods=[method], content_types=["*/*"])(guarded)
            return view

        return register

    return endpoint


def _is_json(request: Request) -> bool:
    content_type = str(request.headers.get("content-type") or JSON)
    return content_type.split(";", 1)[0].strip().lower() == JSON


def _json_body(request: Request) -> Any:
    import json

    raw = request.raw_body or b""
    if not raw.strip():
        raise ValidationFailed("body", "a JSON body is required")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValidationFailed("body", "is not valid JSON") from None
    except RecursionError:
        raise ValidationFailed("body", "is nested too deeply") from None
    _check_strings(body, "")
    return body


def _check_strings(value: Any, path: str, depth: int = 0) -> None:
    """Every string of a body is text: UTF-8 (no lone surrogate, which JSON's ``\\ud800`` can
    carry) without NUL bytes. ValidationFailed names the first field that is not."""
    if depth > 32:
        raise ValidationFailed(path or "body", "is nested too deeply")
    if isinstance(value, str):
        _check_text(value, path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path or "body")
            _check_strings(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1)


def _check_text(text: str, field: str) -> None:
    if "\x00" in text:
        raise ValidationFailed(field, "must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(field, "is not valid Unicode text (a lone surrogate)") from None
