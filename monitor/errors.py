"""The one exception type that reaches the user as a one-line message instead of a traceback."""


class UserError(Exception):
    """A problem with the user's input (file, config, arguments).

    The message is one line that says where (file, line, key) and what is wrong. The CLI prints it
    to stderr prefixed with ``market-monitor: error:`` and exits with ``exit_code``.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
