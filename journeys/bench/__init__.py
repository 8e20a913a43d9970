"""`manage.py bench`: SpineCare's benchmark against PostgreSQL and Redis.

seeding (N patients through journeys/bulk.py), queries (SQL per page at each N), load
(gunicorn with production settings, driven by locust from its own process, against a
floor page), engine (reconcile all journeys; dispatch through real Celery workers, and
Celery ETA tasks side by side, with a worker killed mid-run) and report (the tables,
printed and written to docs/benchmarks.md). Every goal is a ratio or a bound within
one run, because the machine it runs on is shared and noisy.
"""
