"""Errors that decide what happens to a message.

`InputError`: the input is wrong (a bad file, a 404). Retrying cannot help: the stage records the
failure, keeps the raw input, announces it, and the message is consumed. Every other exception is
taken as transient: the message goes back to its queue and, after the max receive count, to the DLQ.
"""


class InputError(Exception):
    """Bad input; the message says what was wrong and what to do about it."""

    def __init__(self, reason: str, raw_keys: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw_keys = raw_keys or []
