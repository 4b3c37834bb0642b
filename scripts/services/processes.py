"""Server processes for the development stack: free ports, spawning in their own session, stopping in order."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
STOP_TIMEOUT = 10


class StackError(Exception):
    """A service could not be started; the message says why, with the end of its log."""

    def __init__(self, message, log=None):
        if log and log.exists():
            message += "".join(f"\n    {line}" for line in log.read_text(errors="replace").splitlines()[-20:])
        super().__init__(message)


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


def is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
