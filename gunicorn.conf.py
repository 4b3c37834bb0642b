"""gunicorn settings, read from the working directory whatever the command line says (see Procfile)."""

import os

# Load the app once in the master before forking: a configuration error then stops
# gunicorn with its one-line message instead of failing every worker in a loop,
# and the workers share the loaded code's memory.
preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
# Threads, so that a long request (an album's ZIP to a slow client, an upload from a phone) holds one thread, not
# a whole worker, and is not cut off: a gthread worker's `timeout` is its heartbeat's, not a request's, as a sync
# worker's is. A worker checks one image at a time (gallery.memory), so its memory budget holds at any number.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
# A worker whose main loop has not answered for this long is stuck, and replaced.
timeout = 120
# Trust no forwarded header: by default gunicorn takes X-Forwarded-Proto: https, X-Forwarded-Ssl: on and
# X-Forwarded-Protocol: ssl from 127.0.0.1 (FORWARDED_ALLOW_IPS) as HTTPS. Django alone decides, by
# SECURE_PROXY_SSL_HEADER for the scheme and NUM_PROXIES for the client's address (README, Security).
forwarded_allow_ips = ""
secure_scheme_headers = {}


def post_request(worker, req, environ, resp):
    """After an upload, give the memory its decoding freed back to the system (gallery.memory)."""
    if req.method == "POST":
        from gallery.memory import release_freed_memory

        release_freed_memory()


def post_worker_init(worker):
    """Make the S3 client before the first request, as the first /healthz would.

    Made during a worker's first upload instead, botocore's 25 MB of service models land among the upload's
    buffers and keep them from being given back: measured on test_hostile.py's corpus, that worker then idled
    at 125 to 150 MB rather than 100 MB, and peaked 30 MB higher on the largest images. No request is sent.
    """
    from django.core.files.storage import default_storage

    default_storage.bucket  # noqa: B018 (made on first access)
