"""The dashboard: the static files of `web/` at `/` (the same files deploy to S3 unchanged)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

bp = Blueprint("web", __name__)
WEB_DIR_ENV = "COVID_ETL_WEB_DIR"


def web_dir() -> Path:
    """`$COVID_ETL_WEB_DIR`, else `web/` at the root of the repository."""
    override = os.environ.get(WEB_DIR_ENV)
    return Path(override) if override else Path(__file__).resolve().parents[2] / "web"


@bp.get("/")
def index() -> Response:
    return send_from_directory(current_app.config["WEB_DIR"], "index.html")


@bp.get("/<path:name>")
def static_file(name: str) -> Response:
    # send_from_directory refuses paths outside the folder; a miss becomes a JSON 404.
    return send_from_directory(current_app.config["WEB_DIR"], name)
