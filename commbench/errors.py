"""Errors a user can cause: each ends in one line on stderr and exit status 2."""

from __future__ import annotations

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A problem with the user's input (a file, a peer, an option), not a bug.

    The message is one line that names the input and the problem.
    """
