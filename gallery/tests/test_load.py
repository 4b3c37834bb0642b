"""Many uploads at once against two gunicorn sites and two job workers sharing one PostgreSQL and one S3: every
upload lands with its row and its objects, each photo's job runs once, and nothing else is left."""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gallery.tests.conftest import image_bytes, start_gunicorn, stop_gunicorn, wait_until

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
    assert len(new_objects) == 3 * UPLOADS
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
