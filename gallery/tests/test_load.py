"""Load against gunicorn: many uploads at once over two gunicorn sites and two job workers sharing one
PostgreSQL and one S3 all land, with their rows and objects, each photo's job run once and nothing else left;
a login flood is refused early while the site keeps serving."""

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from gallery.tests.support import image_bytes, start_gunicorn, stop_gunicorn, wait_until

pytestmark = pytest.mark.slow

CLIENTS = 8
UPLOADS = 200


@contextlib.contextmanager
def second_site(site):
    """Another gunicorn of the same deployment (another web node): its URL."""
    process, url = start_gunicorn(site.env, site.log)
    try:
        yield url
    finally:
        stop_gunicorn(process)


def test_200_uploads_over_two_sites_are_all_processed_once_by_two_workers(isolated_site):
    site = isolated_site
    with site.running_workers(1):
        site.wait_for_jobs()
    rows, objects = site.rows(), site.objects()
    log_start = len(site.read_log())
    worker_log_start = len(site.worker_log.read_text()) if site.worker_log.exists() else 0
    images = [image_bytes(size=(64 + n % 50, 48), color=(n % 256, n // 256, 77)) for n in range(UPLOADS)]
    assert len(set(images)) == UPLOADS

    with second_site(site) as other_url, site.running_workers(2) as workers:
        urls = [site.url, other_url]

        def client(first):
            """One client: its own connection to one of the sites, every CLIENTS-th image."""
            with requests.Session() as session:
                return [
                    (n, site.upload(images[n], f"load-{n}.jpg", session, url=urls[first % 2], title=f"load {n}"))
                    for n in range(first, UPLOADS, CLIENTS)
                ]

        with ThreadPoolExecutor(CLIENTS) as pool:
            responses = [result for batch in pool.map(client, range(CLIENTS)) for result in batch]
        assert [response.status_code for _, response in responses] == [201] * UPLOADS
        ids = {response.json()["id"] for _, response in responses}
        wait_until(lambda: set(site.states(ids).values()) == {"ready"}, "every photo ready", timeout=300)
        site.wait_for_jobs()
        assert all(worker.poll() is None for worker in workers)

    assert len(ids) == UPLOADS
    assert site.jobs(ids) == {photo_id: [("succeeded", 1)] for photo_id in ids}, "each job ran once, to success"
    new_rows = {key: size for key, size in site.rows().items() if key not in rows}
    new_objects = {key: size for key, size in site.objects().items() if key not in objects}
    assert len(new_rows) == UPLOADS, "200 rows under 200 distinct keys"
    assert new_objects.items() >= new_rows.items(), "each row's original is there with its size"
    assert new_objects.keys() == site.owned_keys() - objects.keys(), "and its renditions, and no other object"
    assert len(new_objects) == 4 * UPLOADS, "an original and three renditions each"
    with site.connect() as connection:
        stored = dict(connection.execute("SELECT title, size FROM gallery_photo WHERE title LIKE 'load %'").fetchall())
    assert stored == {f"load {n}": len(images[n]) for n in range(UPLOADS)}
    report = site.manage("reconcile_storage", "--min-age", "0")
    assert (
        report.returncode == 0 and "orphan photos/" not in report.stdout and "missing photos/" not in report.stdout
    ), report.stdout
    log = site.read_log(log_start)
    assert "Traceback" not in log and "IntegrityError" not in log
    assert "Traceback" not in site.worker_log.read_text()[worker_log_start:]


# Two sync workers serve one request each: /healthz waits behind the flood's requests queued ahead of it, so
# with 2k flooders it waits about k - 1 refusals, and a refusal costs about what a 404 does (Django's own floor).
FLOODERS = 4
ROUNDS = 6
# The flood: a process of its own, as an attacker's client is (threads in the test's process would slow the thread
# that measures), with argv[2] threads on http.client, which costs far less CPU per request than requests does.
# Each thread gets a CSRF token from the login page, then posts random usernames as fast as the site answers. The
# process says "refused" once every thread has had a 429; it reads "pause", "go" and "stop" on its standard input
# (a pause lets the requests under way finish: a client stopped half-way would hold a sync worker), and prints
# [status, seconds] of every attempt at the end. The CSRF cookie is Secure (DEBUG is off): it goes in by hand.
FLOOD = """
import http.client, json, re, sys, threading, time, urllib.parse, uuid
host, port = urllib.parse.urlsplit(sys.argv[1]).netloc.split(":")
threads = int(sys.argv[2])
going, stopped, refused, sent = threading.Event(), threading.Event(), threading.Barrier(threads + 1), []
going.set()

def request(method, body=b"", headers={}):
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request(method, "/accounts/login/", body, headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response, content

def flood():
    page, content = request("GET")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie")).group(1)
    headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
    waiting = True
    while going.wait() and not stopped.is_set():
        start = time.perf_counter()
        body = f"csrfmiddlewaretoken={token}&username={uuid.uuid4().hex}&password=guess".encode()
        response, _ = request("POST", body, headers)
        sent.append((response.status, time.perf_counter() - start))
        if waiting and response.status == 429:
            waiting = False
            refused.wait()

workers = [threading.Thread(target=flood) for _ in range(threads)]
for worker in workers:
    worker.start()
refused.wait()
print("refused", flush=True)
for command in sys.stdin:
    if command == "pause\\n":
        going.clear()
    elif command == "go\\n":
        going.set()
    else:
        stopped.set()
        going.set()
        break
for worker in workers:
    worker.join()
print(json.dumps(sent))
"""


def health_times(url, count):
    """The times of `count` GETs of /healthz, each of which must answer 200."""
    times = []
    with requests.Session() as session:
        for _ in range(count):
            start = time.perf_counter()
            assert session.get(f"{url}/healthz", timeout=60).status_code == 200
            times.append(time.perf_counter() - start)
    return times


def test_a_login_flood_is_refused_early_and_the_site_keeps_serving(isolated_site):
    """Threads post random usernames (with a valid CSRF token) to the login page. Once each has been refused,
    /healthz is timed in rounds, with the flood paused and going on in turn, so that what else runs on the
    machine weighs on both alike."""
    site = isolated_site
    started = time.monotonic()
    flood = subprocess.Popen(
        [sys.executable, "-c", FLOOD, site.url, str(FLOODERS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        # An attacker's client runs on its own machine: here, its CPU time must not be the site's.
        preexec_fn=lambda: os.nice(19),
    )

    def tell(command):
        flood.stdin.write(f"{command}\n")
        flood.stdin.flush()
        time.sleep(0.3)  # under way: the requests sent before a pause are answered, the flood restarted

    try:
        assert flood.stdout.readline() == "refused\n"
        all_refused = time.monotonic() - started
        idle, flooded = [], []
        for _ in range(ROUNDS):
            for command, times in (("pause", idle), ("go", flooded)):
                tell(command)
                times.extend(health_times(site.url, 8))
        attempts = json.loads(flood.communicate("stop\n", timeout=120)[0])
        flood_seconds = time.monotonic() - started
    finally:
        flood.kill()
        with site.connect() as connection:
            connection.execute("DELETE FROM gallery_ratecount")
            connection.execute("DELETE FROM axes_accessattempt")
    idle, flooded = statistics.median(idle), statistics.median(flooded)

    checked = [seconds for status, seconds in attempts if status != 429]
    refused = [seconds for status, seconds in attempts if status == 429]
    print(
        f"login flood: {len(attempts)} attempts from {FLOODERS} threads in {flood_seconds:.1f} s, every one "
        f"refused after {all_refused:.1f} s; {len(checked)} reached the login view (median "
        f"{statistics.median(checked) * 1000:.0f} ms), {len(refused)} refused with 429 (median "
        f"{statistics.median(refused) * 1000:.1f} ms); /healthz median {idle * 1000:.1f} ms idle, "
        f"{flooded * 1000:.1f} ms under the flood ({flooded / idle:.1f}x)"
    )
    assert {status for status, _ in attempts} == {200, 429}
    assert len(checked) <= settings.GALLERY_LOGINS_PER_HOUR_PER_IP, "no more password checks than the limit"
    assert len(refused) > len(checked)
    assert flooded < 3 * idle
