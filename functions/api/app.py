"""The HTTP API behind API Gateway (and behind the local stack's HTTP port): the app of
:mod:`api.service` with every area's routes.

Routes are declared twice on purpose: in ``api/routes/``, and as events of ApiFunction in
template.yaml, which is what API Gateway serves; tests/unit/test_api_routes.py keeps the two lists
equal. Each view parses nothing itself: :func:`api.endpoints.make_endpoint_decorator`
authenticates, validates and maps errors; the view calls a use case and shapes the response.
"""

from __future__ import annotations

from api.routes import admin, agents, attachments, auth, kb, meta, reports, tickets, workspace
from api.service import app

# importing them registers the routes
AREAS = (meta, auth, tickets, agents, attachments, kb, admin, workspace, reports)

__all__ = ["AREAS", "app"]
