"""Least privilege, checked against what the functions really call.

moto does not enforce IAM, so a function could work locally and be denied in the cloud. The local
stack therefore records every AWS call a function makes (the IAM action and the resource ARN it
needs) and :func:`denied` evaluates them against that function's ``Policies`` in template.yaml.
``GET /_local/iam`` lists the calls and the denials; an integration test requires no denials.
"""

from __future__ import annotations

import contextvars
import fnmatch
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from tessera_local.template import ACCOUNT_ID, PARTITION, REGION, Template

_current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tessera_local_function", default=None
)

# API calls that need no IAM permission (unauthenticated by design).
UNSIGNED = {("cognito-idp", "InitiateAuth"), ("cognito-idp", "RespondToAuthChallenge")}


@dataclass(frozen=True)
class Call:
    function: str  # logical id in template.yaml
    action: str  # "dynamodb:PutItem"
    resource: str  # the ARN IAM evaluates


def current_function() -> str | None:
    """The logical id of the function whose code is running here (None: the stack's own)."""
    return _current_function.get()


@contextmanager
def running(function: str) -> Iterator[None]:
    """Attribute the AWS calls made inside this block to ``function``."""
    token = _current_function.set(function)
    try:
        yield
    finally:
        _current_function.reset(token)


class Recorder:
    def __init__(self) -> None:
        self._calls: set[Call] = set()
        self._lock = threading.Lock()

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = _current_function.get()
        if function is None or (service, operation) in UNSIGNED:
            return
        calls = {
            Call(function, action, resource)
            for action, resource in needs(service, operation, params)
        }
        with self._lock:
            self._calls |= calls

    def take(self) -> set[Call]:
        """The calls recorded so far, and start again (a worker process's, sent to the stack's
        recorder with an invocation's answer: tessera_local.workers)."""
        with self._lock:
            taken, self._calls = self._calls, set()
        return taken

    def add(self, calls: Iterable[Call]) -> None:
        """Calls recorded elsewhere."""
        with self._lock:
            self._calls |= set(calls)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return sorted(self._calls, key=lambda c: (c.function, c.action, c.resource))

    def install(self) -> None:
        """Hook every botocore client (boto3's and PynamoDB's) in this process."""
        from botocore.client import BaseClient

        client_class: Any = BaseClient  # the stubs do not declare the private method
        original = client_class._make_api_call
        recorder = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            recorder.record(client.meta.service_model.service_name, operation, params)
            return original(client, operation, params)

        client_class._make_api_call = make_api_call


def _arn(service: str, rest: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{rest}"


def needs(service: str, operation: str, params: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs one API call is authorized on."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                for kind, spec in item.items():
                    action = {
                        "Put": "PutItem",
                        "Update": "UpdateItem",
                        "Delete": "DeleteItem",
                        "ConditionCheck": "ConditionCheckItem",
                    }[kind]
                    yield f"dynamodb:{action}", _arn("dynamodb", f"table/{spec['TableName']}")
            return
        if operation in {"BatchWriteItem", "BatchGetItem"}:  # authorized per table named
            for table_name in params["RequestItems"]:
                yield f"dynamodb:{operation}", _arn("dynamodb", f"table/{table_name}")
            return
        if operation == "TransactGetItems":
            for item in params["TransactItems"]:
                yield "dynamodb:GetItem", _arn("dynamodb", f"table/{item['Get']['TableName']}")
            return
        table = _arn("dynamodb", f"table/{params['TableName']}")
        index = params.get("IndexName")
        yield f"dynamodb:{operation}", f"{table}/index/{index}" if index else table
    elif service == "s3":
        bucket, key = params.get("Bucket", ""), params.get("Key")
        if operation == "DeleteObjects":  # IAM checks s3:DeleteObject on each key
            for item in params.get("Delete", {}).get("Objects", []):
                yield "s3:DeleteObject", f"arn:{PARTITION}:s3:::{bucket}/{item['Key']}"
            return
        # IAM has no HeadObject or ListObjectsV2 action: they are GetObject and ListBucket.
        renamed = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket"}
        action = renamed.get(operation, operation)
        yield f"s3:{action}", f"arn:{PARTITION}:s3:::{bucket}" + (f"/{key}" if key else "")
    elif service == "stepfunctions":
        yield (
            f"states:{operation}",
            params.get("stateMachineArn") or params.get("executionArn", "*"),
        )
    elif service == "events":
        for entry in params.get("Entries", []):
            bus = entry.get("EventBusName", "default")
            arn = bus if bus.startswith("arn:") else _arn("events", f"event-bus/{bus}")
            yield f"events:{operation}", arn
    elif service == "ses":
        source = params.get("Source", "")
        yield f"ses:{operation}", _arn("ses", f"identity/{source.rsplit('@', 1)[-1]}")
    elif service == "lambda" and operation == "Invoke":
        name = str(params.get("FunctionName", ""))
        arn = name if name.startswith("arn:") else _arn("lambda", f"function:{name}")
        yield "lambda:InvokeFunction", arn
    elif service == "secretsmanager":
        yield f"secretsmanager:{operation}", params.get("SecretId", "*")
    elif service == "sns":
        # Publish to a phone number has no resource ARN: IAM wants "*" for it (never granted).
        yield f"sns:{operation}", params.get("TopicArn") or params.get("TargetArn") or "*"
    elif service == "cognito-idp" and "UserPoolId" in params:
        yield f"cognito-idp:{operation}", _arn("cognito-idp", f"userpool/{params['UserPoolId']}")
    else:
        yield f"{service}:{operation}", "*"


def _matches(patterns: Any, value: str) -> bool:
    items = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in items)


def allowed(template: Template, call: Call) -> bool:
    """Whether the function's inline policy statements allow the call (Allow only; this template
    writes no Deny statements for functions)."""
    props = template.function_properties(call.function)
    for policy in template.resolve(props.get("Policies", [])):
        if not isinstance(policy, dict):
            continue
        for statement in policy.get("Statement", []):
            if (
                statement.get("Effect") == "Allow"
                and _matches(statement.get("Action", []), call.action)
                and _matches(statement.get("Resource", []), call.resource)
            ):
                return True
    return False


def denied(template: Template, calls: Iterable[Call]) -> list[dict[str, str]]:
    return [asdict(call) for call in calls if not allowed(template, call)]
