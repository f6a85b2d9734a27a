"""The routes the API function serves are exactly the routes template.yaml gives API Gateway."""

from __future__ import annotations

from api.app import app
from tessera_local.http import api_routes
from tessera_local.template import Template


def test_chalice_routes_equal_the_templates_api_events() -> None:
    # Given the routes API Gateway will send to ApiFunction
    template = Template.load()
    declared = {
        (route.method, route.resource)
        for route in api_routes(template)
        if route.function == template.ref("ApiFunction")
    }
    # When we list what the Chalice app routes
    served = {(method, path) for path, entries in app.routes.items() for method in entries}
    # Then neither has a route the other lacks
    assert served == declared
