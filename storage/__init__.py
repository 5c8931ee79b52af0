"""Persistence for qualifications and walk-away records.

`Store` is the app's only way into the database; `storage.db` builds engines and migrates.
"""

from storage.repository import Store

__all__ = ["Store"]
