"""The read API: a Flask app factory, served by gunicorn (`services.api.app:create_app()`)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from services.api.series import SeriesReader
from shared.settings import get_settings


def create_app(reader: Any | None = None) -> Flask:
    app = Flask(__name__)
    app.config["reader"] = reader or SeriesReader(get_settings().table_name)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/api/v1/daily")
    def daily() -> Any:
        return jsonify(data=app.config["reader"].daily())

    return app
