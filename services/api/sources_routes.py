"""`/api/v1/sources`: each declared source's title, licence and credit line, for the dashboard's credits."""

from __future__ import annotations

from flask import Blueprint, Response

from services.api import params
from services.api.responses import send_live
from shared.sources import SOURCES

bp = Blueprint("sources", __name__, url_prefix="/api/v1")


@bp.get("/sources")
def sources() -> Response:
    """The sources as `shared.sources` declares them, in their declared order."""
    params.query(())
    return send_live({"data": [s.credit() for s in SOURCES]}, "sources")
