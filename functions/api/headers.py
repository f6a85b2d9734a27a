"""The security headers of every answer Tessera gives, in one list.

- :data:`API_HEADERS` go on every API answer (``api.endpoints``) and on API Gateway's own
  error answers (``template.yaml``, ``Api.GatewayResponses``, all but the CSP, which a gateway
  response cannot quote; tests/unit/test_template.py keeps the two equal).
- :func:`page_headers` go on every page and file of the portal, the console and the knowledge
  base (the local stack serves them; in AWS the CloudFront response headers policy does).

The pages run only their own scripts (no inline script, no ``eval``); styles may be inline
because sanitized mail HTML keeps ``style`` attributes (shown in a sandboxed frame); browsers
upload attachments straight to S3 with presigned POSTs, so ``connect-src`` names that origin.
"""

from __future__ import annotations

API_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
}


def page_headers(upload_origin: str) -> dict[str, str]:
    """The headers of a portal, console or knowledge-base object; ``upload_origin`` is where
    presigned uploads go (the attachments bucket's S3 endpoint)."""
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: https:",
            f"connect-src 'self' {upload_origin}",
            "frame-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    }
