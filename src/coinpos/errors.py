"""The one base exception of coinpos, and the errors shared across modules.

Every error a user can cause is a `CoinposError`; the CLI turns it into a one-line
message and exit code 2, with nothing written.
"""


class CoinposError(Exception):
    """Base class of every error coinpos raises on purpose."""


class DeploymentError(CoinposError):
    """A deployment artifact is missing, malformed, or does not match the chain."""
