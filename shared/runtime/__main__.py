"""Container entry of every pipeline service: `python -m shared.runtime <service>` polls its queue."""

import sys

from shared.runtime.service import load
from shared.runtime.worker import serve

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m shared.runtime extractor|transformer|loader|notifier")
    serve(load(sys.argv[1]))
