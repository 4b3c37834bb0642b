"""The bucket's side of direct uploads: the CORS rule browsers need and the lifecycle rule that aborts abandoned
multipart uploads (configure_bucket sets both), and whether a browser on an origin may upload to it (the check
the upload page makes before it offers direct uploads)."""

import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from django.conf import settings

from gallery.direct_uploads import s3
from gallery.direct_uploads.models import INCOMING_PREFIX
from gallery.storage import StorageUnavailable, storage_errors

logger = logging.getLogger(__name__)

CORS_RULE_ID = "photosite-direct-uploads"
LIFECYCLE_RULE_ID = "photosite-abandoned-uploads"
CORS_METHODS = ["PUT", "POST", "GET"]
# The methods a direct upload's browser sends: the parts' PUTs, a small file's POST.
UPLOAD_METHODS = ("PUT", "POST")
# The check's answer is kept this long per origin and process; a failed one for less, to notice a fix sooner.
CHECK_SECONDS, FAILED_CHECK_SECONDS = 300, 60
CHECK_TIMEOUT = 3
CHECK_PROBE_KEY = f"{INCOMING_PREFIX}cors-check"

checked = {}


def cors_rule(origins):
    """The CORS rule of direct uploads: these origins may PUT, POST and GET, with any header, and read ETag."""
    return {
        "ID": CORS_RULE_ID,
        "AllowedOrigins": list(origins),
        "AllowedMethods": CORS_METHODS,
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    }


def lifecycle_rule():
    """S3 aborts multipart uploads under incoming/ a day after they started (the sessions expire before that)."""
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Filter": {"Prefix": s3.address(INCOMING_PREFIX)["Key"]},
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }


def set_cors(origins):
    """Put the direct uploads' CORS rule in the bucket's configuration, keeping any other rule. Raises
    StorageUnavailable (StorageMisconfigured when S3 refuses it)."""
    with storage_errors():
        rules = other_rules(s3.client().get_bucket_cors, "CORSRules", "NoSuchCORSConfiguration", CORS_RULE_ID)
        s3.client().put_bucket_cors(
            Bucket=settings.AWS_STORAGE_BUCKET_NAME, CORSConfiguration={"CORSRules": [*rules, cors_rule(origins)]}
        )
    checked.clear()


class RuleRefused(Exception):
    """S3 answered, but would not take the rule (a server without lifecycle rules, a key without the right)."""


def set_lifecycle():
    """Put the lifecycle rule in the bucket's configuration, keeping any other rule. Raises RuleRefused, or
    StorageUnavailable when S3 cannot be reached."""
    with storage_errors():
        try:
            rules = other_rules(
                s3.client().get_bucket_lifecycle_configuration,
                "Rules",
                "NoSuchLifecycleConfiguration",
                LIFECYCLE_RULE_ID,
            )
            s3.client().put_bucket_lifecycle_configuration(
                Bucket=settings.AWS_STORAGE_BUCKET_NAME, LifecycleConfiguration={"Rules": [*rules, lifecycle_rule()]}
            )
        except ClientError as error:
            answer = error.response.get("Error", {})
            raise RuleRefused(f"{answer.get('Code')}: {answer.get('Message')}") from error


def other_rules(get, key, missing_code, rule_id):
    """The rules of one of the bucket's configurations but ours; [] when it has none."""
    try:
        rules = get(Bucket=settings.AWS_STORAGE_BUCKET_NAME).get(key, [])
    except ClientError as error:
        if s3.error_code(error) != missing_code:
            raise
        return []
    return [rule for rule in rules if rule.get("ID") != rule_id]


def browsers_may_upload(origin):
    """(True, "") when a browser on `origin` may send direct uploads to the bucket, else (False, why).

    Asked of the bucket as the browser asks it, with CORS preflights (OPTIONS) of a PUT and a POST, so it holds
    whatever sets the rule (configure_bucket, a console, a server's own defaults) and needs no permission.
    Kept CHECK_SECONDS per origin in each process.
    """
    now = time.monotonic()
    if origin in checked and checked[origin][0] > now:
        return checked[origin][1]
    try:
        answer = preflight_answer(origin)
    except StorageUnavailable as error:
        answer = False, error.problem
    checked[origin] = (now + (CHECK_SECONDS if answer[0] else FAILED_CHECK_SECONDS), answer)
    if not answer[0]:
        logger.warning("direct uploads from %s are off: %s", origin, answer[1])
    return answer


def preflight_answer(origin):
    with storage_errors():
        put_url = s3.client().generate_presigned_url("put_object", Params=s3.address(CHECK_PROBE_KEY))
    targets = {"PUT": put_url.split("?", 1)[0], "POST": s3.post_form(CHECK_PROBE_KEY, 1, 60)["url"]}
    for method, url in targets.items():
        request = urllib.request.Request(
            url, method="OPTIONS", headers={"Origin": origin, "Access-Control-Request-Method": method}
        )
        try:
            with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT) as response:  # noqa: S310 (the bucket's URL)
                allowed_origin = response.headers.get("Access-Control-Allow-Origin", "")
                methods = response.headers.get("Access-Control-Allow-Methods", "")
        except (urllib.error.URLError, OSError) as error:
            return False, f"the bucket refused a {method} from {origin} (its CORS preflight: {error})"
        allowed = {method.strip().upper() for method in methods.split(",")}
        if allowed_origin not in (origin, "*") or not (method in allowed or "*" in allowed):
            return False, f"the bucket's CORS rules do not let {origin} send a {method} (run configure_bucket)"
    return True, ""


def request_origin(request):
    """The origin a page was requested on, as its browser will send it: scheme://host[:port]."""
    return request.build_absolute_uri("/").rstrip("/")


def offered_to(request):
    """Whether the upload page sends this visitor's files straight to the bucket: direct uploads are on, the
    visitor is logged in (sessions have an owner) and the bucket lets browsers on this origin upload."""
    if not (settings.GALLERY_DIRECT_UPLOADS and request.user.is_authenticated):
        return False
    return browsers_may_upload(request_origin(request))[0]


def valid_origin(text):
    """`text` if it is an origin (http or https, a host, no path), else None."""
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc and parts.path in ("", "/") and not parts.query:
        return f"{parts.scheme}://{parts.netloc}"
    return None
