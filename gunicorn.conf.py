"""gunicorn's settings for the registry: `gunicorn registry.wsgi` reads this file from the project folder.

Each can be changed from the environment (the README's "Deployment" lists them).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Processes from the CPU count, as gunicorn's documentation advises; each with a few threads, so that a long
# export streaming to a slow client holds one thread and not a whole process.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker that stops answering its master for this long is restarted. With threads, a request that takes
# long (a full export: 10 s at 100,000 projects, 2.5 min at a million) does not count against it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Processes are replaced after this many requests (at staggered counts), so that no slow growth of memory lasts.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Request lines and headers larger than a browser sends are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The proxies whose X-Forwarded-* headers gunicorn believes (the reverse proxy's address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Client address, request, status, bytes, seconds taken, referrer and user agent.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(L)ss "%(f)s" "%(a)s"'


def post_worker_init(worker):
    """Each new process reads the facets' bitmaps before its first request (about 3 s at 100,000 projects),
    so that no visitor waits for them after a start or a renewal (max_requests)."""
    from projects.facets import warm_up  # noqa: PLC0415 (Django is loaded with the application, just before)

    warm_up()
