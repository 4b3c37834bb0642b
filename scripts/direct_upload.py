"""Upload photos to a photosite through its direct-upload protocol, as the upload page does: the bytes go
straight to the bucket, several parts at a time, and the site only signs and verifies.

    python scripts/direct_upload.py URL TOKEN FILE... [--title T] [--description D] [--visibility V]

URL is the site (https://photos.example.com), TOKEN an API token (manage.py drf_create_token USER). Prints
each file's photo id once the site has verified it, or why it was refused. Needs `requests`
(requirements-dev.txt). The benchmark and the tests use upload() and wait_until_ended().
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

# Parts in flight at once, as the upload page sends them.
PARALLEL_PARTS = 4
ENDED = ("done", "rejected", "aborted", "expired")


class Refused(Exception):
    """The site or the bucket refused the upload; the message says why."""


def checked(response, *statuses):
    """The response's JSON if its status is one of these, else Refused with the site's first message."""
    if response.status_code in statuses:
        return response.json() if response.content else None
    try:
        body = response.json()
        message = body.get("detail") or next(iter(body.values()))[0]
    except (ValueError, AttributeError, StopIteration, IndexError, TypeError):
        message = response.text[:200]
    raise Refused(f"HTTP {response.status_code}: {message}")


def upload(base, token, content, filename, parallel=PARALLEL_PARTS, http=None, **fields):
    """Send `content` (bytes) as `filename` through the protocol; the session as completing it answers it
    (verifying, or done). Parts go `parallel` at a time; each URL beyond the first ones is signed on demand."""
    http = http or requests.Session()
    headers = {"Authorization": f"Token {token}"}
    declared = {"filename": filename, "size": len(content), **fields}
    session = checked(http.post(f"{base}/api/uploads", json=declared, headers=headers, timeout=60), 201)
    if session["post"] is not None:
        post = session["post"]
        checked(http.post(post["url"], data=post["fields"], files={"file": (filename, content)}, timeout=600), 204)
    else:
        size = session["part_size"]
        count = -(-len(content) // size)
        urls = {part["part_number"]: part["url"] for part in session["parts"]}
        unsigned = [number for number in range(1, count + 1) if number not in urls]
        for start in range(0, len(unsigned), 100):  # the site signs up to 100 parts a request
            signed = http.post(
                f"{base}/api/uploads/{session['id']}/parts",
                json={"part_numbers": unsigned[start : start + 100]},
                headers=headers,
                timeout=60,
            )
            urls.update((part["part_number"], part["url"]) for part in checked(signed, 200)["parts"])

        def send(number):
            part = content[(number - 1) * size : number * size]
            checked(requests.put(urls[number], data=part, timeout=600), 200)

        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(send, urls))
    completed = http.post(f"{base}/api/uploads/{session['id']}/complete", json={}, headers=headers, timeout=60)
    return checked(completed, 200, 202)


def wait_until_ended(base, token, session_id, timeout=600, http=None):
    """The session once its verification has ended (done, with its photo, or rejected, with its error)."""
    http = http or requests.Session()
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        answer = http.get(f"{base}/api/uploads/{session_id}", headers={"Authorization": f"Token {token}"}, timeout=60)
        session = checked(answer, 200)
        if session["state"] in ENDED:
            return session
        if time.monotonic() > deadline:
            raise Refused(f"still {session['state']} after {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the site, e.g. https://photos.example.com")
    parser.add_argument("token", help="an API token")
    parser.add_argument("files", nargs="+", type=Path)
    for field in ("title", "description", "visibility"):
        parser.add_argument(f"--{field}")
    args = parser.parse_args(argv)
    fields = {name: getattr(args, name) for name in ("title", "description", "visibility") if getattr(args, name)}
    base, failed = args.url.rstrip("/"), 0
    for path in args.files:
        try:
            session = upload(base, args.token, path.read_bytes(), path.name, **fields)
            session = wait_until_ended(base, args.token, session["id"])
        except (Refused, requests.RequestException) as error:
            session = {"state": "failed", "error": str(error)}
        if session["state"] == "done":
            print(f"{path}: photo {session['photo']['id']}")
        else:
            failed += 1
            print(f"{path}: {session['state']}: {session['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
