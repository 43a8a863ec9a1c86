"""What a page route raises to refuse: shown as a page (web/errors.py)."""


class PageError(Exception):
    """A refusal of a page, with the message its reader sees."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


class SignInRequired(Exception):
    """No working session: the browser goes to the sign-in page (and back afterwards)."""
