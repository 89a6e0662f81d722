"""Errors a user can act on: each message names the file, field or topic and what was expected.

Every such error derives from :class:`RtrError`, so the ``rtr`` command can print it as one
line instead of a traceback.
"""


class RtrError(Exception):
    """Base class of rtr's user-facing errors."""
