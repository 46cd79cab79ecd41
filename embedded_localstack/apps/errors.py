"""Errors of app deployment, each with a message for the user that names the fix."""


class AppError(Exception):
    """A deploy or destroy that failed; str(error) is what the user reads."""
