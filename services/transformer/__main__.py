"""Container entrypoint: `python -m services.transformer` polls the transformer's queue."""

from services.transformer.main import on_body
from shared.runtime.worker import serve
from shared.settings import get_settings

if __name__ == "__main__":
    serve(get_settings().queue_url("transformer"), on_body, "transformer", get_settings().visibility_timeout_s)
