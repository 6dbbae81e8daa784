"""Sale ingestion from the core database (CONTRACT §3) and the scheduled jobs.

- ``worker``: the poll loop (``IngestWorker``, ``run_worker``, ``worker_command``).
- ``actions``: turning a batch of core subscriptions into metrics, queue items, records and
  events inside the caller's transaction.
- ``rates``: the hourly-cached ``dolar`` rate.
- ``jobs``: the scheduler (once per run key, across processes) and the daily jobs.
"""
