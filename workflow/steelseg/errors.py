"""The one exception type the project raises for bad input, and its warning.

Its message names the file (or option) at fault and what to do about it; the CLI prints it as
one line on stderr and exits with code 2. A ``SteelsegWarning`` is printed as one line
``steelseg: warning: ...`` and the step goes on.
"""

import warnings


class SteelsegError(Exception):
    """Bad input or configuration that the user can fix."""


class SteelsegWarning(UserWarning):
    """Input that is used, but read in a way the user should know of."""


def warn(message: str) -> None:
    """Tell the user something about their input, once per message."""
    warnings.warn(message, SteelsegWarning, stacklevel=2)
