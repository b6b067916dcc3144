"""Lambda entry of every pipeline service: `shared.runtime.lambda_entry.handler`.

The function's `COVID_ETL_SERVICE` names the service; it is loaded at import (the cold start).
"""

import os

from shared.runtime.lambda_sqs import lambda_handler
from shared.runtime.service import load

handler = lambda_handler(load(os.environ["COVID_ETL_SERVICE"]))
