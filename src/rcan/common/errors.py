"""User-facing errors.

Anything a user can get wrong (a file, a field, a shape) raises :class:`RcanError` with a
message of one line that names the culprit. The CLI prints that line and exits with status 2
instead of showing a traceback.
"""


class RcanError(Exception):
    """A problem with the user's input, reported as one clear line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
