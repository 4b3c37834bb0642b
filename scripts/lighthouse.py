"""Lighthouse (npm, pinned in the Makefile) in mobile mode on the gallery and photo pages, as `make lighthouse`.

Uploads 24 photos in 12 shapes through the API (a job worker makes their renditions and placeholders), serves the
site with gunicorn as deployed (DEBUG off, whitenoise), runs Lighthouse twice per page (about one run in six ends
without a score on this Chromium: FIELD-NOTES.md) and prints one row per page with the better run's figures (each
run's report is kept in test-artifacts/lighthouse/). Before them, the image bytes of the first gallery page on
three screens (scripts/image_bytes.py).
"""

import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import image_bytes  # noqa: E402
from scripts.bench import BASE_DIR, gunicorn, job_workers, jpeg, texture, upload, wait_ready  # noqa: E402 (sets Django up)

LIGHTHOUSE = Path(os.environ.get("LIGHTHOUSE_DIR", BASE_DIR / ".tools")) / "node_modules" / ".bin" / "lighthouse"
SHAPES = [(1600, 1200), (1200, 1600), (1500, 1500), (1920, 1080), (1080, 1920), (2400, 800),
          (1200, 900), (900, 1200), (2000, 1000), (1000, 2000), (1800, 1200), (1200, 1800)]  # fmt: skip
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", 2))
REPORTS = BASE_DIR / "test-artifacts" / "lighthouse"  # each run's JSON report, for its audits' details


def lighthouse(url):
    """Lighthouse's JSON report of one run, or None when the run ended without a score."""
    command = [str(LIGHTHOUSE), url, "--output=json", "--quiet", "--chrome-flags=--headless=new --no-sandbox"]
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    return report if report["categories"]["performance"]["score"] is not None else None


def figures(report):
    audits = report["audits"]
    return {
        "performance": round(100 * report["categories"]["performance"]["score"]),
        "accessibility": round(100 * report["categories"]["accessibility"]["score"]),
        "lcp_s": round(audits["largest-contentful-paint"]["numericValue"] / 1000, 2),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "kb": round(audits["total-byte-weight"]["numericValue"] / 1024),
    }


@contextlib.contextmanager
def gallery_site(count=24):
    """The site served by gunicorn with `count` photos in SHAPES uploaded and processed, visible to anyone: yields
    (base URL, their ids, the originals' bytes)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"lighthouse-{uuid.uuid4().hex[:6]}")
    token = Token.objects.create(user=user).key
    photos = [jpeg(texture(SHAPES[n % len(SHAPES)], n), 85) for n in range(count)]
    with gunicorn() as (address, _):
        with job_workers(1):
            ids = [upload(address, token, content)["id"] for content in photos]
            wait_ready(ids)
        yield f"http://{address[0]}:{address[1]}", ids, sum(map(len, photos))


def main():
    with gallery_site() as (base, ids, originals):
        print(image_bytes.TABLE_HEAD, *image_bytes.rows(base + "/", originals), sep="\n")
        sys.stdout.flush()
        for name, path in (("gallery", "/"), ("photo", f"/photos/{ids[0]}/")):
            REPORTS.mkdir(parents=True, exist_ok=True)
            reports = []
            for run in range(RUNS):
                report = lighthouse(base + path)
                if report:
                    (REPORTS / f"{name}-{run}.json").write_text(json.dumps(report))
                    reports.append(report)
            if not reports:
                print(f"| {name} | no run ended with a score |")
                continue
            best = max((figures(report) for report in reports), key=lambda row: row["performance"])
            print(f"| {name} ({path}) | {json.dumps(best)} | {len(reports)} of {RUNS} runs scored |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
