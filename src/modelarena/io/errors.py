"""The one error the import/export layer raises: a message a user can act on."""

from __future__ import annotations


class VoteLogError(ValueError):
    """A vote log cannot be read or written. The message names the file, where, and why."""
