"""The read API and the dashboard: a Flask app factory, served by gunicorn
(`gunicorn 'services.api.app:create_app()'`) and by Lambda through `services.api.lambda_function`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, jsonify

from services.api import (
    data_routes,
    health_routes,
    problems,
    region_routes,
    runs_routes,
    security_headers,
    sources_routes,
    web_routes,
)
from services.api.cache import ResponseCache
from services.api.openapi import document
from services.api.store import DynamoStore, Store
from services.api.warm import warm_in_background


def create_app(store: Store | None = None, web_dir: Path | None = None, check_every_s: float = 1.0,
               warm: bool = False) -> Flask:
    """Build the app; `store` defaults to the DynamoDB table named by the settings. `warm`: render every
    region's series in the background after each load (a long-running server's option: gunicorn
    `'services.api.app:create_app(warm=True)'`; services.api.warm)."""
    app = Flask(__name__, static_folder=None)
    if store is None:
        from shared.settings import get_settings

        store = DynamoStore(get_settings().table_name)
    app.config["WEB_DIR"] = str(web_dir or web_routes.web_dir())
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["covid_etl.store"] = store
    cache = ResponseCache(store, check_every_s=check_every_s)
    if warm:
        cache.on_new_version = lambda: warm_in_background(cache)
    app.extensions["covid_etl.cache"] = cache
    problems.register(app)
    security_headers.register(app)
    for blueprint in (health_routes.bp, data_routes.bp, region_routes.bp, runs_routes.bp, sources_routes.bp):
        app.register_blueprint(blueprint)
    spec = document()

    @app.get("/api/v1/openapi.json")
    def openapi() -> Response:
        return jsonify(spec)

    app.register_blueprint(web_routes.bp)  # last: its catch-all path must not shadow the API
    return app
