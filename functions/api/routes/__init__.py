"""The API's routes by area, each declared once with ``@endpoint`` (api.service)."""
