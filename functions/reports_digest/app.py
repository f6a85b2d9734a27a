"""The weekly schedule of the reports' digest mail (tessera.reports.digest)."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap
from tessera.adapters.scheduler import scheduled_time
from tessera.observability import logger, no_ticket, observed
from tessera.reports.digest import send_weekly


@observed(no_ticket)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mail last week's numbers to the leads and admins who asked for them."""
    deps = bootstrap.dependencies()
    members = deps.staff_directory().members()
    mailed = send_weekly(deps, bootstrap.report_aggregates(), members, scheduled_time(event))
    logger().info("weekly digest", extra={"mailed": len(mailed)})
    return {"mailed": mailed}
