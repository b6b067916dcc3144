"""The security headers of every response, the same in the local stack, on Lambda and on CloudFront.

The dashboard loads only its own files (no inline script or style, no CDN), so the policy can be
`'self'` throughout; a static deployment also lets it fetch the API's origin (`connect-src`).
"""

from __future__ import annotations

from flask import Flask, Response

REFERRER_POLICY = "no-referrer"


def content_security_policy(*api_origins: str) -> str:
    """The CSP the dashboard satisfies; `api_origins` are extra origins it may fetch data from."""
    connect = " ".join(("'self'", *api_origins))
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {connect}; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": REFERRER_POLICY,
}


def register(app: Flask) -> None:
    """Add the headers to every response, errors and 304s included (a route may not override them)."""

    @app.after_request
    def _secure(response: Response) -> Response:
        response.headers.update(HEADERS)
        return response
