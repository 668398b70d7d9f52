"""The one error type a user can cause.

A ``UserError`` carries a single line that says what happened and what to do. The CLI prints it and
exits 2; the GUI shows it and keeps its previous state. Anything else escaping is a bug.
"""


class UserError(Exception):
    """A problem caused by input (file, parameters, model), with a one-line message for the user."""

    def __init__(self, message: str) -> None:
        # Keep it one line: the CLI prints it verbatim to stderr and the GUI puts it in a status bar.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)
