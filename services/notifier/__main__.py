"""Container entrypoint: `python -m services.notifier` polls the notifier's queue."""

from services.notifier.main import on_body
from shared.runtime.worker import serve
from shared.settings import get_settings

if __name__ == "__main__":
    serve(get_settings().queue_url("notifier"), on_body, "notifier", get_settings().visibility_timeout_s)
