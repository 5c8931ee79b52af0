"""The path back: a no turned into a not-yet.

Re-engagement conditions a rep can tick, a date to look again, the nudge that comes on it, the
re-check that starts from what was known, and the record of a buyer who came back.
"""
