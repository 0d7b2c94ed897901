"""Webhooks: signed POSTs to the URL a client named, when its job has finished.

An outbox (``webhook_deliveries``) makes them survive a crash: the broker's own loop
(:mod:`broker.webhooks.outbox`) writes a row for each finished job that asked for one, then
delivers due rows with retries and backoff; never from a worker.
"""
