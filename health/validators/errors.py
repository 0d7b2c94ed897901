"""Why a validator gave no verdict: it is not installed, or it could not finish.

Both differ from a verdict with errors (the file was checked and is bad): a caller must
not report an asset as broken because the machine lacks Node.js, nor as clean.
"""


class ValidatorUnavailable(RuntimeError):
    """The validator is not installed here (no Node.js, no npm package, no usd-core)."""


class ValidatorFailed(RuntimeError):
    """The validator ran but gave no report (timeout, crash, a file it cannot open)."""
