"""The API's app serves concurrent requests in one process (the local stack does, with a thread
each) without one request reading another's: Chalice keeps the request on the app object."""

from __future__ import annotations

import json
import threading
from typing import Any

from api.service import app as tessera_app


def event(who: str) -> dict[str, Any]:
    return {
        "resource": "/probe",
        "path": "/probe",
        "httpMethod": "GET",
        "headers": {"accept": "application/json"},
        "multiValueHeaders": {"accept": ["application/json"]},
        "queryStringParameters": {"who": who},
        "multiValueQueryStringParameters": {"who": [who]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"resourcePath": "/probe", "httpMethod": "GET", "stage": "api"},
        "body": None,
        "isBase64Encoded": False,
    }


def test_two_requests_at_once_each_read_their_own() -> None:
    # Given the API's app class, with a route that reads the request after the other one came in
    app = type(tessera_app)(app_name="probe", configure_logs=False)
    both_in = threading.Barrier(2, timeout=10)

    @app.route("/probe")
    def probe() -> dict[str, Any]:
        both_in.wait()  # the second request has been handed to the app by now
        request = app.current_request
        assert request is not None
        return {"who": request.query_params["who"], "context": app.lambda_context}

    answers: dict[str, Any] = {}

    def call(who: str) -> None:
        answers[who] = json.loads(app(event(who), f"context of {who}")["body"])

    # When two callers' requests are served at the same time
    threads = [threading.Thread(target=call, args=(who,)) for who in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # Then each one read its own request and its own context
    assert answers == {
        "alice": {"who": "alice", "context": "context of alice"},
        "bob": {"who": "bob", "context": "context of bob"},
    }
