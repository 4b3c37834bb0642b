"""Object storage around django-storages' S3 backend: stable pre-signed URLs, concurrent saves, errors, health."""

import hashlib
import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import cached_property
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from photosite.env import Environment

logger = logging.getLogger(__name__)

# What boto3 raises when S3 is unreachable, refuses the credentials or fails a transfer.
S3_ERRORS = (BotoCoreError, ClientError, Boto3Error)

# Threads that send objects to S3 while the request's own thread goes on (see ConcurrentSaves). They are
# started on first use, so each gunicorn worker gets its own after the fork.
SAVE_THREADS = ThreadPoolExecutor(max_workers=3, thread_name_prefix="s3-save")


# S3's refusals that no retry changes, beside any 403: the region or the endpoint is wrong.
SETTINGS_REFUSED = {"AuthorizationHeaderMalformed", "InvalidBucketName", "PermanentRedirect", "InvalidRequest"}


class StorageUnavailable(Exception):
    """S3 could not be reached or refused the request.

    Its message is the one for clients, who get a 503; `problem` says what failed, for the logs and commands.
    """

    def __init__(self, problem):
        super().__init__("The photo storage is unavailable; try again later.")
        self.problem = problem


class StorageMisconfigured(StorageUnavailable):
    """S3 refused this site's settings (no credentials, keys it does not know, no such bucket): retrying won't help."""


@contextmanager
def storage_errors():
    """Turn boto3's many exceptions into StorageUnavailable or StorageMisconfigured, so callers can answer 503."""
    try:
        yield
    except S3_ERRORS as error:
        problem = misconfiguration(error)
        if problem is None:
            logger.warning("object storage failed: %s", error)
            raise StorageUnavailable(f"The photo storage is unavailable ({error}); try again later.") from error
        logger.error("object storage is misconfigured: %s", problem)
        raise StorageMisconfigured(problem) from error


def misconfiguration(error):
    """What is wrong with the S3 settings if `error` is S3 refusing them, naming the variables to fix; else None."""
    names = Environment.both_names
    keys = f"{names('AWS_ACCESS_KEY_ID')} and {names('AWS_SECRET_ACCESS_KEY')}"
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return f"S3 has no credentials ({error}): set {keys}."
    if not isinstance(error, ClientError):
        return None
    endpoint = settings.AWS_S3_ENDPOINT_URL or "AWS"
    answer = error.response.get("Error", {})
    code, detail = answer.get("Code", ""), answer.get("Message") or answer.get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status == 403:
        return f"S3 at {endpoint} refused this site's credentials ({code}: {detail}): check {keys}."
    if code == "NoSuchBucket" or (status == 404 and error.operation_name == "HeadBucket"):
        bucket = answer.get("BucketName") or settings.AWS_STORAGE_BUCKET_NAME
        return f"S3 at {endpoint} has no bucket {bucket!r}: create it, or set {names('AWS_STORAGE_BUCKET_NAME')}."
    if code in SETTINGS_REFUSED:
        return (
            f"S3 at {endpoint} refused the request ({code}: {detail}): "
            f"check {names('AWS_S3_REGION_NAME')} and {names('AWS_S3_ENDPOINT_URL')}."
        )
    return None


class PhotoStorage(S3Storage):
    """django-storages' S3 backend whose pre-signed GET URLs stay the same for a while and cost microseconds.

    boto3 signs each URL afresh: about 0.2 to 0.5 ms, and a different URL every second, so browsers download
    every image again on every visit. QueryStringSigner gives the same URL for a window of half
    AWS_QUERYSTRING_EXPIRE. With AWS_S3_CUSTOM_DOMAIN or AWS_QUERYSTRING_AUTH=false, and for URLs with
    parameters, django-storages builds the URL itself as before.

    The signer, like every S3 call of this app, uses the storage's `bucket`, whose boto3 client is made once
    and is safe to share between threads; django-storages' `connection` makes a session, some 25 MB, per thread.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        if self.custom_domain or not self.querystring_auth or parameters or expire or http_method not in (None, "GET"):
            return super().url(name, parameters, expire, http_method)
        signer = self.signer
        if signer is None:
            return super().url(name)  # No credentials: boto3 says so.
        return signer.url(self._normalize_name(clean_name(name)))

    @cached_property
    def signer(self):
        """The QueryStringSigner of this storage's bucket, or None without credentials."""
        return self.signer_for(self.querystring_expire)

    def signer_for(self, expire):
        """A QueryStringSigner of this storage's bucket whose URLs expire after `expire` s; None without credentials."""
        signers = self.__dict__.setdefault("signers", {})
        if expire not in signers:
            # django-storages' own session maker, so that the keys, the profile or the instance role are those it uses.
            credentials = self._create_session().get_credentials()
            signers[expire] = credentials and QueryStringSigner(
                self.bucket.meta.client, self.bucket_name, credentials, expire
            )
        return signers[expire]

    @cached_property
    def origin(self):
        """The scheme and host of this storage's URLs, for a page's <link rel="preconnect">; None without
        credentials (each image URL then fails with boto3's own error)."""
        if self.custom_domain or not self.querystring_auth:
            parts = urlsplit(super().url("preconnect"))
            return f"{parts.scheme}://{parts.netloc}"
        return self.signer and self.signer.origin

    def short_lived_url(self, name, expire):
        """A pre-signed GET URL valid for `expire` seconds at most (half of them at least), the same for half of them.

        Share links hand these out, so that revoking one stops its images within `expire` seconds. Behind a custom
        domain or with AWS_QUERYSTRING_AUTH=false the URL is the plain one, which never expires.
        """
        signer = None if self.custom_domain or not self.querystring_auth else self.signer_for(expire)
        if signer is None:
            return super().url(name)
        return signer.url(self._normalize_name(clean_name(name)))


class QueryStringSigner:
    """AWS Signature Version 4 query-string signatures ("pre-signed URLs") for GETs of one bucket's objects.

    Written here because botocore's signer, driven per URL, costs some 60 times more (it builds and
    canonicalises a whole request): a list of 50 photos has 150 URLs. The signature is computed as AWS
    specifies, from a signing time rounded down to a window of half the expiry, so that the URL of a key
    stays identical through the window and is valid for at least half the expiry when handed out; what
    all URLs of a window share (the query string, the signing key) is made once. botocore still decides
    the address (endpoint, addressing style).
    """

    PLACEHOLDER = "photosite-signer-placeholder"

    def __init__(self, client, bucket, credentials, expire, clock=time.time):
        address = urlsplit(
            client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": self.PLACEHOLDER})
        )
        self.origin = f"{address.scheme}://{address.netloc}"
        self.path_prefix = address.path.removesuffix(self.PLACEHOLDER)
        self.host = canonical_host(address)
        self.region = client.meta.region_name
        self.credentials = credentials
        self.expire = expire
        self.window = max(1, expire // 2)
        self.clock = clock
        self.current = None

    def url(self, key):
        """The pre-signed GET URL of `key` for the current window."""
        now = int(self.clock())
        credentials = self.credentials.get_frozen_credentials()
        window = self.current
        if window is None or window.key != (now - now % self.window, credentials):
            window = self.current = self.window_for(now - now % self.window, credentials)
        path = self.path_prefix + quote(key, safe="/~")
        canonical_request = f"GET\n{path}\n{window.query}\nhost:{self.host}\n\nhost\nUNSIGNED-PAYLOAD"
        string_to_sign = window.string_to_sign_head + hashlib.sha256(canonical_request.encode()).hexdigest()
        signature = hmac.new(window.signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self.origin}{path}?{window.query}&X-Amz-Signature={signature}"

    def window_for(self, signed_at, credentials):
        """What every URL signed at `signed_at` with these credentials shares; made once per window."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(signed_at))
        scope = f"{stamp[:8]}/{self.region}/s3/aws4_request"
        # The canonical query string: every parameter but the signature, sorted by name, values URI-encoded.
        query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={quote(f'{credentials.access_key}/{scope}', safe='')}"
            f"&X-Amz-Date={stamp}&X-Amz-Expires={self.expire}"
        )
        if credentials.token:
            query += f"&X-Amz-Security-Token={quote(credentials.token, safe='-_.~')}"
        query += "&X-Amz-SignedHeaders=host"
        signing_key = f"AWS4{credentials.secret_key}".encode()
        for part in (stamp[:8], self.region, "s3", "aws4_request"):
            signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
        return SigningWindow((signed_at, credentials), query, f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n", signing_key)


class SigningWindow(NamedTuple):
    key: tuple
    query: str
    string_to_sign_head: str
    signing_key: bytes


def canonical_host(address):
    """The Host header a client sends to this URL: the host, and the port unless it is the scheme's default."""
    host = f"[{address.hostname}]" if ":" in (address.hostname or "") else address.hostname
    default_port = {"http": 80, "https": 443}.get(address.scheme)
    return host if address.port in (None, default_port) else f"{host}:{address.port}"


class ConcurrentSaves:
    """Save several objects at once on SAVE_THREADS while the block goes on; leaving it waits for them all.

    If a save fails, or the block raises, the objects already saved are deleted again and the first error
    goes on. delete_saved() removes them later, when what was to follow them (a database row) failed.
    """

    def __init__(self, storage):
        self.storage = storage
        self.saves = {}

    def save(self, name, content):
        """Start saving `content` as `name`."""
        self.saves[name] = SAVE_THREADS.submit(self.storage.save, name, content)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        wait(self.saves.values())
        failure = exc or next((save.exception() for save in self.saves.values() if save.exception()), None)
        if failure is not None:
            self.delete_saved()
            if exc is None:
                raise failure
        return False

    def delete_saved(self):
        """Delete every object this saved; S3 failing here leaves orphans for reconcile_storage, logged."""
        for name, save in self.saves.items():
            if save.done() and save.exception() is None:
                delete_object(name, self.storage)


def check_bucket():
    """Raise StorageUnavailable unless the bucket answers (one HEAD request)."""
    with storage_errors():
        default_storage.bucket.meta.client.head_bucket(Bucket=default_storage.bucket_name)


def delete_object(name, storage=default_storage):
    """Delete an object; S3 failing leaves it as an orphan for reconcile_storage, logged, rather than raising."""
    try:
        with storage_errors():
            storage.delete(name)
    except StorageUnavailable:
        logger.error("could not delete object %s, which no photo owns now", name)


def delete_after_commit(name, storage=default_storage):
    """Delete an object once the current transaction commits, and never when it rolls back."""
    transaction.on_commit(lambda: delete_object(name, storage))
