"""Many uploads at once against gunicorn: every one lands, with its row and its objects, and nothing else."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gallery.tests.support import image_bytes

pytestmark = pytest.mark.slow

CLIENTS = 8
UPLOADS = 200


def test_200_uploads_from_8_concurrent_clients_all_land(isolated_site):
    site = isolated_site
    rows, objects = site.rows(), site.objects()
    log_start = len(site.read_log())
    images = [image_bytes(size=(64 + n % 50, 48), color=(n % 256, n // 256, 77)) for n in range(UPLOADS)]
    assert len(set(images)) == UPLOADS

    def client(first):
        """One client: its own connection, every CLIENTS-th image."""
        with requests.Session() as session:
            return [
                (n, site.upload(images[n], name=f"load-{n}.jpg", session=session, title=f"load {n}"))
                for n in range(first, UPLOADS, CLIENTS)
            ]

    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = [result for batch in pool.map(client, range(CLIENTS)) for result in batch]

    assert [response.status_code for _, response in responses] == [201] * UPLOADS
    new_rows = {key: size for key, size in site.rows().items() if key not in rows}
    new_objects = {key: size for key, size in site.objects().items() if key not in objects}
    assert len(new_rows) == UPLOADS, "200 rows under 200 distinct keys"
    assert new_objects.items() >= new_rows.items(), "each row's original is there with its size"
    assert new_objects.keys() == site.owned_keys() - objects.keys(), "and its renditions, and no other object"
    assert len(new_objects) == 3 * UPLOADS
    with site.connect() as connection:
        stored = dict(connection.execute("SELECT title, size FROM gallery_photo WHERE title LIKE 'load %'").fetchall())
    assert stored == {f"load {n}": len(images[n]) for n in range(UPLOADS)}
    assert len({response.json()["id"] for _, response in responses}) == UPLOADS
    log = site.read_log(log_start)
    assert "Traceback" not in log and "IntegrityError" not in log
