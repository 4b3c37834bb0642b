"""`make run`: the site on Django's development server, with the PostgreSQL and S3 it needs, and one banner.

    python scripts/dev.py

PORT (default 8000), S3_PORT (8333), VAR (var) and ENV_FILE (.env) come from the environment, where the
Makefile puts them. PostgreSQL and SeaweedFS are started with their data in VAR/ (scripts/stack.py) unless
the environment or ENV_FILE configures a database, or an S3 endpoint or bucket (under photosite's or the old
app's names); DEBUG is on unless they say otherwise. The migrations are applied, the local SeaweedFS takes
direct uploads from the site's origins (configure_bucket), a banner says where everything is, and the
processes of Procfile.dev run under honcho until Ctrl-C, which stops them all, then the servers started here.
"""

import contextlib
import io
import logging
import os
import signal
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from photosite.env import Environment  # noqa: E402
from scripts.stack import (  # noqa: E402
    StackError,
    exit_on_signal,
    is_set,
    postgres_dir,
    require_free_port,
    run,
    running_s3,
    s3_is_configured,
    start_services,
)

BIN = Path(sys.executable).parent


def port_from(variable, default):
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable} must be a port number, not {value!r}")
    return int(value)


def prepare_database():
    """Apply the migrations (saying so only when there are some) and close the connection."""
    import django
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    django.setup()
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            print(f"Applying {len(plan)} migrations ...", flush=True)
            call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as error:
        raise StackError(f"the database does not answer: {error}".strip()) from None
    finally:
        connection.close()


def configure_local_bucket(port):
    """Let the site's pages upload straight to make run's own SeaweedFS (configure_bucket); the banner says if not."""
    from django.core.management import CommandError, call_command

    origins = [f"--origin=http://{host}:{port}" for host in ("127.0.0.1", "localhost")]
    with contextlib.suppress(CommandError):
        call_command("configure_bucket", *origins, stdout=io.StringIO(), stderr=io.StringIO())


def uploads_line(site):
    """How the upload page sends photos: straight to the bucket, or through the site and why."""
    from django.conf import settings

    from gallery.direct_uploads.bucket import browsers_may_upload

    if not settings.GALLERY_DIRECT_UPLOADS:
        return "through the site (GALLERY_DIRECT_UPLOADS=false)"
    allowed, why = browsers_may_upload(site)
    return "straight from the browser to S3" if allowed else f"through the site: {why}"


def banner(port, keep, config):
    """What `make run` serves and uses, from the settings the site runs with; no secrets."""
    from django.conf import settings

    from gallery.storage import StorageUnavailable, check_bucket

    site = f"http://127.0.0.1:{port}"
    db = settings.DATABASES["default"]
    database = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if is_set(config, "DATABASE_URL"):
        database += "  (configured)"
    else:
        database += f"  (local PostgreSQL, data in {shown(postgres_dir(keep))})"
    s3 = f"{settings.AWS_S3_ENDPOINT_URL or 'AWS'}, bucket {settings.AWS_STORAGE_BUCKET_NAME}"
    if s3_is_configured(config):
        s3 += "  (configured, in the old app's names)" if config.uses_legacy_s3_names() else "  (configured)"
    else:
        s3 += f"  (local SeaweedFS, data in {shown(Path(keep) / 's3')})"
    # The banner tells what fails; the storage's own log lines would say it a second time.
    quiet = [logging.getLogger(name) for name in ("gallery.storage", "gallery.direct_uploads.bucket")]
    for logger in quiet:
        logger.disabled = True
    try:
        check_bucket()
    except StorageUnavailable as error:
        s3 += f"\n             but it does not work: {error.problem}"
    try:
        uploads = uploads_line(site)
    finally:
        for logger in quiet:
            logger.disabled = False
    return "\n".join(
        [
            f"photosite is running, DEBUG {'on' if settings.DEBUG else 'off'}:",
            f"  Site:      {site}/",
            f"  Admin:     {site}/admin/   (an account: make manage CMD=createsuperuser)",
            f"  Database:  {database}",
            f"  S3:        {s3}",
            f"  Uploads:   {uploads}",
            "Ctrl-C stops it all. `make manage CMD=...` in another terminal uses the same database and S3.",
        ]
    )


def shown(path):
    """A path as a reader finds it: relative to the project when inside it."""
    path = Path(path).resolve()
    return path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path


def main():
    """Start what is missing, migrate, print the banner, run Procfile.dev; return the exit status."""
    os.chdir(BASE_DIR)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    env_file = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
    config = Environment(env_file=env_file)
    keep = Path(os.environ.get("VAR") or BASE_DIR / "var")
    try:
        port, s3_port = port_from("PORT", 8000), port_from("S3_PORT", 8333)
        # Both checked before anything starts, so that a taken port costs no wait.
        require_free_port(port, "PORT")
        if not s3_is_configured(config) and running_s3(keep) is None:
            require_free_port(s3_port, "S3_PORT")
        with contextlib.ExitStack() as stack:
            services = start_services(stack, config, postgres=True, s3=True, keep=keep, s3_port=s3_port)
            os.environ.update(services.env, ENV_FILE=env_file, PORT=str(port))
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosite.settings")
            # Procfile.dev's `python` is this virtualenv's.
            os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
            if not is_set(config, "DEBUG"):
                os.environ["DEBUG"] = "true"
            # The banner says where everything is; runserver would add that it is for development only.
            os.environ["DJANGO_RUNSERVER_HIDE_WARNING"] = "true"
            prepare_database()
            if not s3_is_configured(config):
                configure_local_bucket(port)
            print(banner(port, keep, config), flush=True)
            # honcho reads no .env of its own (photosite's settings read ENV_FILE); PORT is in the environment.
            honcho = [BIN / "honcho", "start", "--procfile", BASE_DIR / "Procfile.dev", "--env", os.devnull]
            status = run([str(part) for part in honcho], dict(os.environ))
            # Ctrl-C is how make run ends: nothing for make to report as an error.
            return 0 if status == 128 + signal.SIGINT else status
    except StackError as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
