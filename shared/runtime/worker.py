"""The container runtime: an asyncio SQS worker (aiobotocore).

Long-polls one queue, hands each body to the service's handler in a thread, extends the message's
visibility while the handler works, deletes it only after success, and on failure makes it visible
again after a short backoff (the queue's redrive policy moves it to the DLQ in the end).
SIGTERM/SIGINT stop it cleanly: an idle poll is cancelled, a message in hand is finished first.
An unreachable endpoint is waited out with capped exponential backoff, never a crash loop.
A liveness file (`shared.runtime.liveness`), when configured, is touched after each successful
poll and each heartbeat: docker-compose's healthcheck reads its age.
Time is a dependency: the heartbeat's interval and the reconnect backoff wait on `sleep`, and a
failed message's delay before it is visible again comes from `retry_delay`; tests pass their own.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig

from shared import aws, logs
from shared.runtime import liveness
from shared.runtime.service import BodyHandler, D, Service, body_handler
from shared.runtime.warm import warm

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import MessageTypeDef

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def retry_delay(receives: int) -> int:
    """Seconds a failed message stays hidden before its next delivery: 2^n, at most a minute."""
    return min(2**receives, 60)


class Worker:
    def __init__(self, queue_url: str, on_body: BodyHandler, *, visibility_timeout: int = 60,
                 wait_seconds: int = 10, liveness_file: str = "", sleep: Sleep = asyncio.sleep,
                 retry_delay: Callable[[int], int] = retry_delay) -> None:
        self.queue_url = queue_url
        self.liveness_file = liveness_file
        self.on_body = on_body
        self.visibility_timeout = visibility_timeout
        self.wait_seconds = wait_seconds
        self.sleep = sleep
        self.retry_delay = retry_delay
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        config = AioConfig(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                           read_timeout=self.wait_seconds + 10)
        async with aws.async_session().create_client("sqs", region_name=aws.region(), config=config) as sqs:
            failures = 0
            while not self.stopping.is_set():
                try:
                    messages = await self._receive(sqs)
                    failures = 0
                    liveness.touch(self.liveness_file)
                except asyncio.CancelledError:
                    break
                except Exception as error:  # endpoint down, throttled: back off and reconnect
                    failures += 1
                    delay = min(30.0, 0.5 * 2**failures) * random.uniform(0.5, 1.0)
                    logger.warning("receive failed (%s); retrying in %.1f s", error, delay)
                    await self._sleep(delay)
                    continue
                for message in messages:
                    await self._process(sqs, message)
        logger.info("worker stopped")

    async def _receive(self, sqs: SQSClient) -> list[MessageTypeDef]:
        poll = asyncio.ensure_future(sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=self.wait_seconds,
            VisibilityTimeout=self.visibility_timeout, MessageSystemAttributeNames=["ApproximateReceiveCount"]))
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({poll, stop}, return_when=asyncio.FIRST_COMPLETED)
        if poll not in done:
            poll.cancel()  # a message taken by the cancelled poll reappears after its visibility timeout
            raise asyncio.CancelledError
        stop.cancel()
        return poll.result().get("Messages", [])

    async def _process(self, sqs: SQSClient, message: MessageTypeDef) -> None:
        receipt = message["ReceiptHandle"]
        heartbeat = asyncio.ensure_future(self._heartbeat(sqs, receipt))
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            await asyncio.to_thread(self.on_body, message["Body"], receives, message["MessageId"])
        except Exception:
            logger.exception("message %s failed; it will be retried", message["MessageId"])
            heartbeat.cancel()
            await self._quietly(sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=self.retry_delay(receives)))
            return
        heartbeat.cancel()
        await self._quietly(sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt))

    async def _heartbeat(self, sqs: SQSClient, receipt: str) -> None:
        while True:
            await self.sleep(self.visibility_timeout / 3)
            liveness.touch(self.liveness_file)
            await self._quietly(sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=self.visibility_timeout))

    async def _quietly(self, call: Awaitable[object]) -> None:
        try:
            await call
        except Exception as error:
            logger.warning("SQS call failed: %s", error)

    async def _sleep(self, seconds: float) -> None:
        """`sleep(seconds)`, cut short by `stop()`."""
        nap, stop = asyncio.ensure_future(self.sleep(seconds)), asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({nap, stop}, return_when=asyncio.FIRST_COMPLETED)
        nap.cancel()
        stop.cancel()


def serve(service: Service[D]) -> None:
    """Run `service`'s worker on its queue until SIGTERM or SIGINT."""
    from shared.settings import get_settings

    settings = get_settings()
    logs.setup(service.spec.name, settings.log_level)
    queue_url = settings.queue_url(service.spec.name)
    warm(queue_url)  # the clients built before the first poll, not on the first message

    async def main() -> None:
        worker = Worker(queue_url, body_handler(service, settings), visibility_timeout=settings.visibility_timeout_s,
                        liveness_file=settings.liveness_file)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        logger.info("worker polling %s", queue_url)
        await worker.run()

    asyncio.run(main())
