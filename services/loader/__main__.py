"""Container entrypoint: `python -m services.loader` polls the loader's queue."""

from services.loader.main import on_body
from shared.runtime.worker import serve
from shared.settings import get_settings

if __name__ == "__main__":
    serve(get_settings().queue_url("loader"), on_body, "loader", get_settings().visibility_timeout_s)
