"""The benchmark's HTTP client: one request, an upload, latencies on one keep-alive connection, and requests or
uploads per second from several client processes."""

import http.client
import json
import time
import uuid

from scripts.bench.jpegs import unique
from scripts.bench.table import CLIENTS

# What sending on a keep-alive connection the server has closed raises: gunicorn's gthread workers close one
# left idle for 2 s (their keepalive), as a browser expects; http.client, unlike browsers, does not retry.
CLOSED_BY_THE_SERVER = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


def request(host, port, method, path, body=None, headers=None, connection=None):
    """One HTTP request; returns (status, body). Reuses `connection` (keep-alive) when given, connected again
    once if the server has closed it meanwhile."""
    conn = connection or http.client.HTTPConnection(host, port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
    except CLOSED_BY_THE_SERVER:
        if connection is None:
            raise
        conn.close()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
    data = response.read()
    if connection is None:
        conn.close()
    return response.status, data


def multipart(content, name="photo.jpg"):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def upload(address, token, content, connection=None):
    """POST a copy of the JPEG `content` that is no duplicate of an earlier upload, as a new photo."""
    body, content_type = multipart(unique(content))
    headers = {"Authorization": f"Token {token}", "Content-Type": content_type}
    status, data = request(*address, "POST", "/api/photos", body, headers, connection)
    assert status == 201, (status, data[:300])
    return json.loads(data)


def latencies(address, path, count):
    """Seconds each of `count` sequential GETs took on one keep-alive connection, after a warm-up."""
    connection = http.client.HTTPConnection(*address, timeout=60)
    for _ in range(30):
        assert request(*address, "GET", path, connection=connection)[0] == 200
    times = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = request(*address, "GET", path, connection=connection)
        times.append(time.perf_counter() - start)
        assert status == 200
    connection.close()
    return times


def client_loop(address, path, seconds):
    """Requests one client completes in `seconds` (run in its own process, so that clients do not share a GIL)."""
    connection = http.client.HTTPConnection(*address, timeout=60)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert request(*address, "GET", path, connection=connection)[0] == 200
        done += 1
    return done


def throughput(pool, address, path, seconds):
    start = time.perf_counter()
    done = sum(pool.map(client_loop, [address] * CLIENTS, [path] * CLIENTS, [seconds] * CLIENTS))
    return done / (time.perf_counter() - start)


def upload_loop(address, token, content, seconds):
    """Uploads one client completes in `seconds`, in its own process."""
    connection = http.client.HTTPConnection(*address, timeout=120)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        upload(address, token, content, connection)
        done += 1
    return done


def upload_throughput(pool, address, token, content, seconds):
    start = time.perf_counter()
    done = sum(pool.map(upload_loop, *zip(*[(address, token, content, seconds)] * CLIENTS, strict=True)))
    return done / (time.perf_counter() - start)
