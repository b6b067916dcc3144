"""Container entrypoint: `python -m services.extractor` polls the extractor's queue."""

from services.extractor.main import on_body
from shared.runtime.worker import serve
from shared.settings import get_settings

if __name__ == "__main__":
    serve(get_settings().queue_url("extractor"), on_body, "extractor", get_settings().visibility_timeout_s)
