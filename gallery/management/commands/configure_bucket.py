"""configure_bucket: the bucket's CORS rule for direct uploads from the site's origins, and the lifecycle rule that
aborts abandoned multipart uploads; then the check the upload page makes."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery.direct_uploads import bucket
from gallery.storage import StorageUnavailable


class Command(BaseCommand):
    help = (
        "Let browsers on the site's origins upload straight to the bucket: a CORS rule (PUT, POST and GET from "
        "those origins, any header, ETag exposed) and a lifecycle rule aborting multipart uploads under incoming/ "
        "a day after they start; the bucket's other rules are kept. Then checks, as a browser would, that each "
        "origin may upload. The origins are --origin's, else GALLERY_DIRECT_UPLOAD_ORIGINS (by default "
        "CSRF_TRUSTED_ORIGINS). Exits with 1 if the CORS rule cannot be set or a check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            metavar="URL",
            help="an origin the site is served on, such as https://photos.example.com (repeatable)",
        )

    def handle(self, *args, origin, **options):
        origins = origin or settings.GALLERY_DIRECT_UPLOAD_ORIGINS
        if not origins:
            raise CommandError(
                "No origin to allow: give --origin https://photos.example.com, or set GALLERY_DIRECT_UPLOAD_ORIGINS "
                "(or CSRF_TRUSTED_ORIGINS)."
            )
        wrong = [text for text in origins if bucket.valid_origin(text) is None]
        if wrong:
            raise CommandError(f"Not an origin (scheme://host[:port], no path): {', '.join(wrong)}")
        origins = [bucket.valid_origin(text) for text in origins]
        try:
            bucket.set_cors(origins)
        except StorageUnavailable as error:
            raise CommandError(f"The CORS rule could not be set: {error.problem}") from error
        self.stdout.write(f"CORS: {', '.join(origins)} may PUT, POST and GET; ETag is exposed.")
        try:
            bucket.set_lifecycle()
            self.stdout.write("Lifecycle: multipart uploads under incoming/ are aborted a day after they start.")
        except bucket.RuleRefused as error:
            # Some servers take no lifecycle rules; the periodic cleanup aborts expired sessions anyway.
            self.stderr.write(f"Lifecycle: not set (S3 refused it: {error}); the periodic cleanup still aborts them.")
        except StorageUnavailable as error:
            raise CommandError(f"The lifecycle rule could not be set: {error.problem}") from error
        failed = []
        for site in origins:
            allowed, why = bucket.browsers_may_upload(site)
            if allowed:
                self.stdout.write(f"Checked: a browser on {site} may upload to the bucket.")
            else:
                failed.append(why)
        if failed:
            raise CommandError("; ".join(failed))
