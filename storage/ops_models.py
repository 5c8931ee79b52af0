"""Indexes the retention purge reads by (storage/ops.py): oldest claims and posts first.

The tables are storage/models.py's; these only add the index each purge batch starts from, so
a batch reads a short range instead of the whole table (migration 0019).
"""

from __future__ import annotations

from sqlalchemy import Index

from storage.models import IdempotencyKey, SlackPost

CLAIMS_BY_AGE = Index("ix_idempotency_keys_created_at", IdempotencyKey.created_at)
POSTS_BY_AGE = Index("ix_slack_posts_started_at", SlackPost.started_at)
