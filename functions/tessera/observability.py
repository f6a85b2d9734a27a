"""Logging for every function: one structured (JSON) logger, created on first use."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="tessera")
