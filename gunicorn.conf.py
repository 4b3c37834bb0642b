"""gunicorn settings, read from the working directory whatever the command line says (see Procfile)."""

import os

# Load the app once in the master before forking: a configuration error then stops
# gunicorn with its one-line message instead of failing every worker in a loop,
# and the workers share the loaded code's memory.
preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
# Uploads stream through the worker; a slow client on a phone must not be cut off at 30 s.
timeout = 120
