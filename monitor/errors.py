"""The base of errors that carry a message for the user rather than a bug to report."""


class UserError(Exception):
    """Bad input or an unreachable resource: the message says which and why; no traceback is due."""
