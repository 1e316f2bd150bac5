"""The one exception type the project raises for bad input.

Its message names the file (or option) at fault and what to do about it; the CLI prints it as
one line on stderr and exits with code 2.
"""


class SteelsegError(Exception):
    """Bad input or configuration that the user can fix."""
