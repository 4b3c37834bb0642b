"""PostgreSQL for the development stack: a cluster on a free port, run as the postgres user."""

import contextlib
import os
import pwd
import signal
import subprocess
from pathlib import Path

from scripts.services.processes import (
    HOST,
    Server,
    StackError,
    free_ports,
    is_running,
    make_temp_dir,
    spawn,
    stop_process,
)

DATABASE = "photosite"


def postgres_bin_dir():
    """Return the newest PostgreSQL server's bin directory, or None."""

    def version(bindir):
        return [int(part) for part in bindir.parent.name.split(".") if part.isdigit()]

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(bindir))
    return next((path for path in candidates if (path / "initdb").exists() and (path / "postgres").exists()), None)


class PostgresServer(Server):
    """A PostgreSQL cluster on a free port, user postgres without a password.

    Throwaway (removed with the stack) unless `keep` names a directory whose postgres/ keeps it between runs.
    """

    name = "PostgreSQL"
    # PostgreSQL's fast shutdown: unlike SIGTERM it does not wait for clients to disconnect.
    stop_signal = signal.SIGINT

    def __init__(self, stack, keep=None):
        self.bindir = postgres_bin_dir()
        if self.bindir is None:
            raise StackError("PostgreSQL is not installed; install it with `apt-get install postgresql`")
        base = make_temp_dir(stack, "stack-postgres-") if keep is None else postgres_dir(keep)
        base.mkdir(parents=True, exist_ok=True)
        data, log = base / "data", base / "postgres.log"
        # initdb and postgres refuse to run as root. They run in `base`, which they own,
        # because they may not be allowed into the caller's working directory.
        as_owner = {"cwd": base}
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(base, owner.pw_uid, owner.pw_gid)
            as_owner.update(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[])
            if subprocess.run(["test", "-w", base], **as_owner).returncode:
                raise StackError(
                    f"PostgreSQL runs as the postgres user, who cannot reach {base}: let it through the folders "
                    "above (chmod o+x on each), or set DATABASE_URL to a PostgreSQL of your own"
                )
        if not (data / "PG_VERSION").exists():
            self.initdb(data, log, as_owner, sync=keep is not None)

        self.port = free_ports(1)[0]
        # TCP only: a socket path inside a deep project folder can pass the 107 bytes Unix allows.
        settings = ["listen_addresses=" + HOST, "unix_socket_directories="]
        if keep is None:  # nothing to keep, so nothing to make durable
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        command = [self.bindir / "postgres", "-D", data, "-p", str(self.port)]
        command += [argument for setting in settings for argument in ("-c", setting)]
        super().__init__(stack, command, log, **as_owner)

    def initdb(self, data, log, as_owner, sync):
        # initdb fails when the caller's locale is not installed here; C.UTF-8 always is.
        initdb = [self.bindir / "initdb", "-A", "trust", "-U", "postgres", "--encoding=UTF8", "--locale=C.UTF-8"]
        process = spawn([*initdb, *([] if sync else ["--no-sync"]), "-D", data], log, **as_owner)
        try:
            if process.wait():
                raise StackError("initdb failed; its output ends:", log)
        finally:
            # On SIGTERM initdb waits for the postgres processes it started; SIGKILL would leave them
            # writing into the directory while it is removed.
            stop_process(process, signal.SIGTERM)

    def is_ready(self):
        return postgres_is_ready(self.bindir, self.port)

    def create_database(self, name):
        """Create the database unless it exists."""
        created = subprocess.run(
            [self.bindir / "createdb", *postgres_client_args(self.port), name], capture_output=True, text=True
        )
        if created.returncode and "already exists" not in created.stderr:
            raise StackError(f"createdb failed: {created.stderr.strip()}")

    def url(self, database=DATABASE):
        return postgres_url(self.port, database)


def postgres_dir(keep):
    return Path(keep).resolve() / "postgres"


def postgres_client_args(port):
    return ["-h", HOST, "-p", str(port), "-U", "postgres"]


def postgres_is_ready(bindir, port):
    return subprocess.run([bindir / "pg_isready", "-q", *postgres_client_args(port), "-d", "postgres"]).returncode == 0


def postgres_url(port, database=DATABASE):
    return f"postgres://postgres@{HOST}:{port}/{database}"


def running_postgres(keep):
    """The DATABASE_URL of the PostgreSQL already running on keep's data (another make run's), or None."""
    # PostgreSQL's lock file: its first line is the server's process id, its fourth the port.
    try:
        lines = (postgres_dir(keep) / "data" / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    if not is_running(pid) or not postgres_is_ready(postgres_bin_dir(), port):
        return None
    return postgres_url(port)


def start_postgres(stack, keep=None):
    """Start PostgreSQL with a database DATABASE (made if missing); return it (its url() for DATABASE_URL)."""
    server = PostgresServer(stack, keep)
    server.start()
    server.create_database(DATABASE)
    return server
