"""AWS Lambda entrypoint (SQS event source, partial batch failures)."""

from services.transformer.main import on_body
from shared.runtime.lambda_sqs import lambda_handler

handler = lambda_handler(on_body, "transformer")
