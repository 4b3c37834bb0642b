"""S3 and PostgreSQL going down and coming back under a running gunicorn and job workers, and workers killed mid-upload
and mid-job."""

import contextlib
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from gallery.images import RENDITIONS
from gallery.tests.support import distinct_image_bytes, image_bytes, wait_until

pytestmark = pytest.mark.slow

STORAGE_DOWN = {"detail": "The photo storage is unavailable; try again later."}
DATABASE_DOWN = {"detail": "The database is unavailable; try again later."}


def on_every_worker(site, port, request, rounds=20):
    """Send request() 4 at a time until every worker holds a connection to the server on `port`; return all responses.

    A worker holds one once it has used that server, so each worker has answered at least one of them.
    """
    responses = []
    with ThreadPoolExecutor(4) as pool:
        for _ in range(rounds):
            responses += pool.map(lambda _: request(), range(4))
            if site.workers_connected_to(port) == {worker.pid for worker in site.workers()}:
                return responses
    raise AssertionError(f"not every worker used port {port} in {len(responses)} requests")


def test_s3_outage_fails_uploads_with_503_while_reads_go_on(isolated_site):
    site = isolated_site
    kept = site.upload(image_bytes(color=(1, 2, 3)), title="kept through the outage")
    assert kept.status_code == 201, kept.text
    workers = {worker.pid for worker in site.workers()}
    rows, objects = site.rows(), site.objects()

    with site.s3_stopped():
        uploads = [site.upload(distinct_image_bytes(), title="during the outage") for _ in range(4)]
        listed = site.get("/api/photos")
        gallery = site.get("/")
        health = site.get("/healthz")
        assert site.rows() == rows

    assert gallery.status_code == 200 and "kept through the outage" in gallery.text
    for response in uploads:
        assert (response.status_code, response.headers["Content-Type"]) == (503, "application/json")
        assert response.json() == STORAGE_DOWN
    assert listed.status_code == 200
    assert "kept through the outage" in [photo["title"] for photo in listed.json()]
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "ok", "storage": "unavailable"}

    port = urlsplit(site.s3.endpoint).port
    after = on_every_worker(site, port, lambda: site.upload(distinct_image_bytes(), title="after"))

    assert [response.status_code for response in after] == [201] * len(after), "S3 is back: every worker uploads"
    assert {worker.pid for worker in site.workers()} == workers, "without a worker restarted"
    assert requests.get(kept.json()["photo_url"], timeout=10).content == image_bytes(color=(1, 2, 3))
    assert len(site.rows().keys() - rows.keys()) == len(after)
    new_objects = site.objects().keys() - objects.keys()
    assert new_objects == site.owned_keys() - objects.keys(), "each new object belongs to a new row, and nothing else"
    assert len(new_objects) == len(after), "an original each: renditions are the job workers', and none runs here"


def test_hung_s3_fails_uploads_with_503_in_bounded_time(isolated_site):
    """S3 frozen (SIGSTOP): connections open but nothing answers. The client config's timeouts end the wait."""
    site = isolated_site
    rows, objects = site.rows(), site.objects()

    site.s3.process.send_signal(signal.SIGSTOP)
    try:
        # The 60 s client timeout is the bound: botocore's defaults would hold the worker for minutes.
        upload = site.upload(distinct_image_bytes(), title="into a hung S3")
        listed = site.get("/api/photos")
    finally:
        site.s3.process.send_signal(signal.SIGCONT)

    assert (upload.status_code, upload.json()) == (503, STORAGE_DOWN)
    assert listed.status_code == 200
    assert site.rows() == rows
    # S3 may still store what the worker sent before giving up: an orphan, which reconcile_storage reports.
    report = site.manage("reconcile_storage", "--delete", "--min-age", "0")
    assert report.returncode == 0, report.stderr
    assert all(f"orphan {key} (" in report.stdout for key in site.objects().keys() - objects.keys())
    assert site.objects() == objects
    assert site.upload(distinct_image_bytes()).status_code == 201


def test_database_restart_while_idle_costs_no_request(isolated_site):
    site = isolated_site
    port = site.postgres.port
    warm = on_every_worker(site, port, lambda: site.get("/api/photos"))
    assert {response.status_code for response in warm} == {200}

    with site.database_stopped():
        pass

    after = on_every_worker(site, port, lambda: site.get("/api/photos"))
    assert [response.status_code for response in after] == [200] * len(after)


def test_database_outage_answers_503_and_the_site_recovers_by_itself(isolated_site):
    site = isolated_site
    workers = {worker.pid for worker in site.workers()}
    log_start = len(site.read_log())
    objects = site.objects()

    with site.database_stopped():
        listed = [site.get("/api/photos") for _ in range(4)]
        uploads = [site.upload(distinct_image_bytes()) for _ in range(2)]
        pages = [site.get("/"), site.get("/photos/1/")]
        health = site.get("/healthz")
        assert site.objects() == objects, "an upload refused for want of the database stored nothing"

    for page in pages:
        assert (page.status_code, page.headers["Content-Type"]) == (503, "text/html; charset=utf-8")
        assert "The gallery is briefly unavailable" in page.text and "Traceback" not in page.text

    for response in [*listed, *uploads]:
        assert (response.status_code, response.headers["Content-Type"]) == (503, "application/json")
        assert response.json() == DATABASE_DOWN
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unavailable", "storage": "ok"}
    assert "Traceback" not in site.read_log(log_start)

    after = on_every_worker(site, site.postgres.port, lambda: site.get("/api/photos"))
    assert [response.status_code for response in after] == [200] * len(after)
    assert site.upload(distinct_image_bytes()).status_code == 201
    assert {worker.pid for worker in site.workers()} == workers


def test_worker_killed_between_object_and_row_leaves_an_orphan_that_reconcile_finds(isolated_site):
    """The INSERT waits on a table lock, so the worker is killed after storing the objects, before the row."""
    site = isolated_site
    rows, objects = site.rows(), site.objects()
    waiting_insert = (
        "SELECT pid, client_port FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"gallery_photo\"%'"
    )

    # pg_stat_activity stays as it was first read in a transaction: the one holding the lock cannot watch.
    with site.connect() as locker, site.connect() as other, ThreadPoolExecutor(1) as pool:
        with locker.transaction():
            # SHARE mode blocks the INSERT, not the SELECT that looks for a duplicate before the objects are stored.
            locker.execute("LOCK TABLE gallery_photo IN SHARE MODE")
            upload = pool.submit(site.upload, distinct_image_bytes(), title="killed")
            backend, client_port = wait_until(lambda: other.execute(waiting_insert).fetchone(), "waiting INSERT")
            worker = site.worker_with_connection(client_port)
            worker.kill()
            worker.wait(10)
        with pytest.raises(requests.ConnectionError):
            upload.result()
        # The INSERT goes on once the lock is gone and fails on the dead client; its transaction is rolled back.
        query = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
        wait_until(lambda: other.execute(query, [backend]).fetchone() is None, "end of the killed worker's session")

    assert site.rows() == rows, "no row"
    assert site.rows().items() <= site.objects().items(), "every row has its object"
    orphans = site.objects().keys() - objects.keys()
    assert len(orphans) == 1 and not next(iter(orphans)).endswith(".webp"), "the original stored before the kill stays"

    report = site.manage("reconcile_storage")
    assert report.returncode == 0, report.stderr
    assert all(f"orphan {orphan} (" in report.stdout for orphan in orphans)
    assert report.stdout.count("kept, younger than 3600 s") == 1
    cleared = site.manage("reconcile_storage", "--delete", "--min-age", "0")
    assert cleared.returncode == 0, cleared.stderr
    assert all(f"orphan {orphan} (" in cleared.stdout for orphan in orphans) and site.objects() == objects

    site.wait_until_healthy()
    assert len(site.workers()) == 2, "gunicorn replaced the killed worker"
    assert site.upload(distinct_image_bytes()).status_code == 201


def test_worker_killed_while_receiving_the_body_writes_nothing(isolated_site):
    site = isolated_site
    rows, objects = site.rows(), site.objects()
    boundary = "photositeboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    request = (
        "POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {site.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {20 * 1024**2}\r\n\r\n"
    ).encode()
    host, port = urlsplit(site.url).hostname, urlsplit(site.url).port

    with socket.create_connection((host, port), timeout=30) as sock:
        # 8 MB is far more than the socket buffers hold before the worker reads (a few hundred KB with
        # this send buffer), so sendall() returns only once it is reading the body; it then waits for 12 MB more.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        sock.sendall(request + head + b"\xff" * (8 * 1024**2))
        worker = site.worker_with_connection(sock.getsockname()[1])
        worker.kill()
        worker.wait(10)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1024) == b"", "no response from a killed worker"

    site.wait_until_healthy()
    assert site.rows() == rows and site.objects() == objects
    assert site.upload(distinct_image_bytes()).status_code == 201


def test_jobs_pending_while_s3_is_down_retry_and_finish_once_it_is_back(isolated_site):
    site = isolated_site
    with site.running_workers(1):
        site.wait_for_jobs()
    ids = {site.upload(image_bytes(size=(900, 600), color=(60 * n, 9, 9))).json()["id"] for n in range(4)}
    objects = site.objects()

    site.s3.stop()
    with site.running_workers(2):
        # Each job runs, finds S3 down and is put back in the queue for later, twice at least.
        wait_until(
            lambda: all(jobs[-1][0] == "todo" and jobs[-1][1] >= 2 for jobs in site.jobs(ids).values()), "retries"
        )
        assert set(site.states(ids).values()) == {"processing"}, "none failed while S3 was down"
        site.s3.start()
        wait_until(lambda: set(site.states(ids).values()) == {"ready"}, "photos ready", timeout=60)

    assert all(len(jobs) == 1 and jobs[0][0] == "succeeded" and jobs[0][1] >= 3 for jobs in site.jobs(ids).values())
    assert site.objects().keys() - objects.keys() == site.owned_keys() - objects.keys(), "the renditions, no other"
    assert len(site.objects().keys() - objects.keys()) == len(RENDITIONS) * len(ids)


def test_a_worker_killed_in_the_middle_of_a_job_is_replaced_and_the_photo_ends_ready(isolated_site):
    """The job's last UPDATE waits on a row lock, so the worker is killed after it stored the renditions."""
    site = isolated_site
    with site.running_workers(1):
        site.wait_for_jobs()
    objects = site.objects()
    photo_id = site.upload(image_bytes(size=(1200, 800), color=(9, 200, 9)), title="interrupted").json()["id"]
    waiting_update = (
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE \"gallery_photo\"%'"
    )

    with site.connect() as locker, site.connect() as other:
        with locker.transaction(), site.running_workers(1) as (victim,):
            locker.execute("SELECT 1 FROM gallery_photo WHERE id = %s FOR UPDATE", [photo_id])
            (backend,) = wait_until(lambda: other.execute(waiting_update).fetchone(), "the job's waiting UPDATE")
            assert len(site.objects().keys() - objects.keys()) == 1 + len(RENDITIONS), (
                "the original and its renditions are stored"
            )
            victim.kill()
            victim.wait(10)
            # Its UPDATE would go on once the lock is gone: the database ends the dead client's session first.
            other.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert site.states([photo_id]) == {photo_id: "processing"}
        assert site.jobs([photo_id]) == {photo_id: [("doing", 0)]}, "the dead worker's job stays taken"

        with site.running_workers(1):
            # The new worker runs it again once the dead one's heartbeat is 30 s old: within 60 s of the kill.
            wait_until(lambda: site.states([photo_id]) == {photo_id: "ready"}, "photo ready", timeout=60)
            site.wait_for_jobs()

    assert site.jobs([photo_id]) == {photo_id: [("succeeded", 2)]}, "run twice: killed once, then to the end"
    new_objects = site.objects().keys() - objects.keys()
    assert new_objects == site.owned_keys() - objects.keys() and len(new_objects) == 4, "no duplicate, no orphan"
    report = site.manage("reconcile_storage", "--min-age", "0")
    assert report.returncode == 0 and "orphan photos/" not in report.stdout, report.stdout
