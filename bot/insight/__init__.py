"""Team insight: what a team's walk-away records teach (issue 13).

So far the export for sales ops and CRM: `walkaway report` and `/walkaway report`, one set of
rows built in report.py from storage/report.py's batches; and similar.py, the verdict card's
*Similar past walks* (storage/similar.py finds them).

The weekly digest for managers: digest.py (the timed sweep and the job that sends it),
digest_blocks.py (the message), chart.py (the 12-week chart), digest_settings.py (its part of
`/walkaway settings`).
"""
