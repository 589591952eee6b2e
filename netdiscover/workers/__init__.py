"""Several sites, one asset database: collectors at each site run sweeps (Celery tasks from their
site's queue) and send the observations in bounded, compressed batches to the central ingest,
which reconciles each sweep into the one database once its closing message says how it ended.

``messages`` (the wire format and its checks), ``ingest`` (the central side, no Celery),
``collector`` (the site side, no Celery), ``app`` (the Celery wiring: queues and tasks),
``heartbeat`` (what a collector says about itself).
"""
