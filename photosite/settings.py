"""Django settings for photosite, all read from the environment here.

Variables are documented in .env.example. A .env file beside manage.py is read
too (ENV_FILE names another one; set it empty to read none); real environment
variables win over it.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from croniter import croniter  # procrastinate's, which reads the schedules of periodic jobs
from csp.constants import NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE

from photosite.env import REQUIRED, ConfigError, Environment
from photosite.security import DRF_LOGOUT_HANDLER, photo_origins, source_hash

BASE_DIR = Path(__file__).resolve().parent.parent

env = Environment(env_file=os.environ.get("ENV_FILE", BASE_DIR / ".env"))
# collectstatic is a build step, run where no secret, database or bucket exists yet (a Dockerfile, a buildpack):
# it reads none of them, so they are required of every command but that one.
BUILD_STEP = sys.argv[1:2] == ["collectstatic"]
REQUIRED_AT_RUN_TIME = None if BUILD_STEP else REQUIRED

DEBUG = env.bool("DEBUG", False)
# Only a DEBUG run may fall back to a key everybody knows.
INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", INSECURE_KEY if DEBUG else REQUIRED_AT_RUN_TIME)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "drf_spectacular_sidecar",
    "storages",
    "axes",
    "csp",
    "procrastinate.contrib.django",
    "gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses the body once every middleware below has written it (pages and JSON only).
    "gallery.middleware.PageGZipMiddleware",
    # The Content-Security-Policy header goes on every response, static files included.
    "photosite.security.PhotositeCSPMiddleware",
    # Before anything reads the request; it also answers the views' failures (gallery.failures).
    "gallery.middleware.FailureMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gallery.middleware.LoginLimitMiddleware",
    "gallery.middleware.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gallery.middleware.PrivateSiteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes asks to be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "photosite.urls"
WSGI_APPLICATION = "photosite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gallery.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL, in development too (photosite.env refuses any other). Connections are kept for a minute and
# checked before reuse, so a restarted server costs one failed check, not an error.
DATABASES = {"default": env.database("DATABASE_URL", REQUIRED_AT_RUN_TIME)}
DATABASES["default"].update(CONN_MAX_AGE=env.int("CONN_MAX_AGE", 60, minimum=0), CONN_HEALTH_CHECKS=True)
# An unreachable server fails the request in seconds (503) rather than hanging a worker.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery"
LOGOUT_REDIRECT_URL = "gallery"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Object storage (django-storages' S3 backend). The photos' bytes live only here.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", REQUIRED_AT_RUN_TIME)
AWS_S3_ENDPOINT_URL = env.url("AWS_S3_ENDPOINT_URL", None)
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", None)
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", None)
# SigV4 URLs name the region; R2 and SeaweedFS accept us-east-1 as well as AWS does (the FastAPI app's default, auto,
# applies to its .env files: photosite.env).
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", "us-east-1")
# How long a pre-signed URL is valid. A URL stays the same for half of it (so browsers can cache
# the image) and is valid for at least the other half when handed out (gallery.storage). SigV4 allows 7 days.
AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", 3600, minimum=60, maximum=7 * 24 * 3600)
AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", None)
AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", "path" if AWS_S3_ENDPOINT_URL else "auto")
if AWS_S3_ADDRESSING_STYLE not in {"auto", "path", "virtual"}:
    raise ConfigError("AWS_S3_ADDRESSING_STYLE", f"must be auto, path or virtual, not {AWS_S3_ADDRESSING_STYLE!r}")
AWS_LOCATION = env.str("AWS_LOCATION", "")
AWS_S3_SIGNATURE_VERSION = "s3v4"
# Keys are random, so there is nothing to overwrite, and skipping the check saves a HEAD request per upload.
AWS_S3_FILE_OVERWRITE = True
# An object never changes once written, so browsers may keep it as long as a URL to it can work: no page hands
# out a URL older than that, so a longer max-age would gain no hit, only keep a deleted photo visible for longer.
AWS_S3_OBJECT_PARAMETERS = {"CacheControl": f"private, max-age={AWS_QUERYSTRING_EXPIRE}, immutable"}
# Fail fast when S3 is down or hangs: the caller answers 503 instead of holding a worker. Each request
# gets at most 2 attempts (one retry, which also covers a pooled connection that S3 closed), each giving up
# after 3 s to connect or 10 s without a byte moving: a hung S3 costs a request about 20 s (botocore's
# defaults: 60 s timeouts, up to 5 attempts). A stopped one, refusing connections, costs under a second.
AWS_S3_CLIENT_CONFIG = Config(
    s3={"addressing_style": AWS_S3_ADDRESSING_STYLE},
    signature_version=AWS_S3_SIGNATURE_VERSION,
    connect_timeout=3,
    read_timeout=10,
    retries={"total_max_attempts": 2, "mode": "standard"},
)

# Each object goes up in one PUT from the thread that saves it: uploads are at most GALLERY_MAX_UPLOAD_MB, and
# a job's renditions are already sent side by side (gallery.storage.ConcurrentSaves). boto3's
# default would start a pool of 10 threads per object and split anything over 8 MB into parts.
AWS_S3_TRANSFER_CONFIG = TransferConfig(multipart_threshold=5 * 1024**3, use_threads=False)

# An object read back (a photo's job reading its original) is kept in memory up to this, then spooled to disk
# as uploads are: a direct upload's original may be GALLERY_MAX_DIRECT_UPLOAD_MB. django-storages' default, 0,
# would hold any object whole.
AWS_S3_MAX_MEMORY_SIZE = 2_621_440

STORAGES = {
    # django-storages' S3 backend with cheaper, cacheable pre-signed URLs.
    "default": {"BACKEND": "gallery.storage.PhotoStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served at the site's root by whitenoise: /favicon.ico, which browsers ask for on pages that name no icon
# (the browsable API, the admin).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# Uploads: the size limit is enforced while the body streams in (gallery.uploads).
GALLERY_MAX_UPLOAD_MB = env.int("GALLERY_MAX_UPLOAD_MB", 25)
GALLERY_MAX_PIXELS = env.int("GALLERY_MAX_PIXELS", 100_000_000)
GALLERY_ALLOW_ANONYMOUS_UPLOADS = env.bool("GALLERY_ALLOW_ANONYMOUS_UPLOADS", False)
GALLERY_OPEN_SIGNUP = env.bool("GALLERY_OPEN_SIGNUP", True)
# Originals lose their GPS EXIF (and XMP, IPTC) on upload unless this is true (gallery.images.location).
GALLERY_KEEP_LOCATION = env.bool("GALLERY_KEEP_LOCATION", False)
# Days a deleted photo stays in the trash, restorable, before it is deleted forever (gallery.library.trash).
# 0 turns the trash off: deleting is final at once.
GALLERY_TRASH_DAYS = env.int("GALLERY_TRASH_DAYS", 30, minimum=0)
# When a job worker deletes what has been in the trash longer than that (gallery.jobs.library): cron's five
# fields, or six with seconds last. Hourly: a photo goes within the hour after its days are up.
GALLERY_TRASH_PURGE_CRON = env.str("GALLERY_TRASH_PURGE_CRON", "23 * * * *")
if not croniter.is_valid(GALLERY_TRASH_PURGE_CRON):
    raise ConfigError("GALLERY_TRASH_PURGE_CRON", f"must be a cron schedule, not {GALLERY_TRASH_PURGE_CRON!r}")
# Visibility, albums and share links (gallery.visibility, gallery.albums, gallery.shares).
GALLERY_DEFAULT_VISIBILITY = env.str("GALLERY_DEFAULT_VISIBILITY", "public")
if GALLERY_DEFAULT_VISIBILITY not in {"public", "private"}:
    raise ConfigError("GALLERY_DEFAULT_VISIBILITY", f"must be public or private, not {GALLERY_DEFAULT_VISIBILITY!r}")
# false: visitors who are not logged in get only the login page and share links, and the API wants a login.
GALLERY_PUBLIC_SITE = env.bool("GALLERY_PUBLIC_SITE", True)
# Lifetime of the pre-signed URLs that share links redirect to; revoking a link stops its images within it.
GALLERY_SHARE_URL_SECONDS = env.int("GALLERY_SHARE_URL_SECONDS", 600, minimum=2, maximum=7 * 24 * 3600)
# Wrong passwords a share link takes from one address per hour before it answers 429.
GALLERY_SHARE_PASSWORD_ATTEMPTS_PER_HOUR = env.int("GALLERY_SHARE_PASSWORD_ATTEMPTS_PER_HOUR", 10)
# Direct uploads (gallery.direct_uploads): browsers send the bytes straight to the bucket, which needs a CORS rule
# for the site's origins (python manage.py configure_bucket); a job verifies them before they become a photo.
GALLERY_DIRECT_UPLOADS = env.bool("GALLERY_DIRECT_UPLOADS", True)
# At most 5 GB: the verified original is stored with one PUT, S3's limit for one.
GALLERY_MAX_DIRECT_UPLOAD_MB = env.int("GALLERY_MAX_DIRECT_UPLOAD_MB", 200, maximum=5 * 1024)
# An upload not completed within this is aborted, its parts deleted (gallery.direct_uploads.jobs).
GALLERY_DIRECT_UPLOAD_HOURS = env.int("GALLERY_DIRECT_UPLOAD_HOURS", 24, maximum=30 * 24)
# The origins configure_bucket lets browsers upload from, by default the ones trusted for forms.
GALLERY_DIRECT_UPLOAD_ORIGINS = env.list("GALLERY_DIRECT_UPLOAD_ORIGINS", CSRF_TRUSTED_ORIGINS)
FILE_UPLOAD_HANDLERS = [
    "gallery.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Background jobs (Procrastinate, gallery.jobs): the queue is in the database above, so it needs PostgreSQL.
# `python manage.py procrastinate worker` runs one worker (the Procfile's worker process); any number of them,
# on any machines, share the queue. A worker runs one job at a time, as renditions are CPU work: add processes,
# not concurrency. Each worker's heartbeat goes every 10 s; one silent for 30 s is taken as dead, and its
# running job is run again (gallery.jobs.maintenance).
PROCRASTINATE_IMPORT_PATHS = ["gallery.jobs"]
PROCRASTINATE_WORKER_DEFAULTS = {"update_heartbeat_interval": 10, "stalled_worker_timeout": 30}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes an anonymous write a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gallery.api.exception_handler",
    # Every API view (photos, albums, share links) refuses JSON nested too deep with a 400 (gallery.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
        "gallery.parsers.JSONParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "photosite API",
    "DESCRIPTION": "Upload photos to S3-compatible storage and list them with pre-signed URLs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    # The site's icon rather than Swagger's (settings.WHITENOISE_ROOT).
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    # Photos and upload sessions both have a `state`, each its own set of values.
    "ENUM_NAME_OVERRIDES": {
        "PhotoStateEnum": "gallery.models.PhotoState",
        "UploadStateEnum": "gallery.direct_uploads.models.UploadState",
    },
}

# A separate front end (such as the old React app on http://localhost:5173) may call the API, and only the API.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own loggers pass their records to the root's handler instead of printing them a second time.
        "django": {"handlers": [], "propagate": True},
        # django-axes announces its version at every start of every process; its lockouts still reach the log.
        "axes.apps": {"level": "WARNING"},
        # Procrastinate tells of every task it registers, in every process that imports gallery.jobs.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}

# --- Security: HTTPS, headers, rate limits, login lockout, Content-Security-Policy ---
# Kept in one block; .env.example and README.md ("Security") document the variables read here.

# HTTPS. With DEBUG off every request is redirected to HTTPS, HSTS is sent and cookies are Secure.
# Behind a proxy that ends TLS, SECURE_PROXY_SSL_HEADER names the header it sets, e.g.
# HTTP_X_FORWARDED_PROTO,https; without it every request looks like plain HTTP and is redirected for ever.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
# The platform's health checks may call over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_PROXY_SSL_HEADER = env.list("SECURE_PROXY_SSL_HEADER") or None
if SECURE_PROXY_SSL_HEADER is not None:
    if len(SECURE_PROXY_SSL_HEADER) != 2 or not SECURE_PROXY_SSL_HEADER[0].startswith("HTTP_"):
        raise ConfigError(
            "SECURE_PROXY_SSL_HEADER",
            "must be a header's META name and the value meaning HTTPS: HTTP_X_FORWARDED_PROTO,https",
        )
    SECURE_PROXY_SSL_HEADER = tuple(SECURE_PROXY_SSL_HEADER)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0)
# Both commit more than this site (every subdomain; the browsers' built-in list), so they stay off unless asked for.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    check
    for check, enabled in (("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS), ("security.W021", SECURE_HSTS_PRELOAD))
    if not enabled
]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# Photo URLs carry a signature in the query string: no Referer goes to S3 or any other site.
SECURE_REFERRER_POLICY = "same-origin"

# Proxies in front of the app that append to X-Forwarded-For; 0 trusts no such header. The client address
# limits uploads and locks out logins, so a wrong number lets clients pick their address.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", 0, minimum=0)

# Rate limits (gallery.throttling): uploads per user and per address, log-in and sign-up forms per address, each
# in an hour from its first request. Counted atomically in the database (gallery.counters), so that every
# gunicorn worker sees the same counts and concurrent requests cannot overshoot. IPv6 addresses count by /64.
GALLERY_UPLOADS_PER_HOUR = env.int("GALLERY_UPLOADS_PER_HOUR", 100)
GALLERY_UPLOADS_PER_HOUR_PER_IP = env.int("GALLERY_UPLOADS_PER_HOUR_PER_IP", GALLERY_UPLOADS_PER_HOUR)
GALLERY_LOGINS_PER_HOUR_PER_IP = env.int("GALLERY_LOGINS_PER_HOUR_PER_IP", 20)
# Django's cache, shared by every worker; the rate limits do not count in it (its incr is not atomic).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "photosite_cache",
        # Django culls a third of the entries past MAX_ENTRIES (default 300).
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# Failed logins (admin, /accounts/login/, /api-auth/login/): django-axes refuses an address (and so every username
# from it) after AXES_FAILURE_LIMIT failures in a row from it, for AXES_COOLOFF_MINUTES, with 429. A success
# resets the count. Random usernames from one address are refused as one guessed username would be.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "gallery.throttling.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Only failures are kept; a row per successful login would grow for ever.
AXES_DISABLE_ACCESS_LOG = True

# A request whose CSRF token fails gets the site's 403 page (Django's own styles inline, which the CSP forbids).
CSRF_FAILURE_VIEW = "gallery.failures.csrf_failure"

# Content-Security-Policy (django-csp): this site's own files, plus photos from the bucket's origin and
# the upload page's previews (blob:), and the upload page's requests to the bucket itself (never through a
# custom domain) for direct uploads. Nothing inline, except on the third-party pages in CSP_PATH_UPDATES.
bucket_address = {
    "bucket": AWS_STORAGE_BUCKET_NAME,
    "endpoint_url": AWS_S3_ENDPOINT_URL,
    "region": AWS_S3_REGION_NAME,
    "addressing_style": AWS_S3_ADDRESSING_STYLE,
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *photo_origins(**bucket_address, custom_domain=AWS_S3_CUSTOM_DOMAIN)],
        "connect-src": [SELF, *(photo_origins(**bucket_address) if GALLERY_DIRECT_UPLOADS else ())],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Added on pages under these path prefixes (photosite.security.PhotositeCSPMiddleware).
CSP_PATH_UPDATES = {
    # The browsable API and Swagger UI style inline; the browsable API's log-out link has an onclick handler.
    "/api/": {"style-src": [UNSAFE_INLINE], "script-src": [UNSAFE_HASHES, source_hash(DRF_LOGOUT_HANDLER)]},
    # DRF's login page styles inline.
    "/api-auth/": {"style-src": [UNSAFE_INLINE]},
}
