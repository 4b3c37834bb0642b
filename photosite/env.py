"""Read configuration from the environment and an optional .env file.

Every value can also be given under the name the earlier FastAPI app used, with
that app's defaults, so its .env files keep working. A missing or malformed value stops start-up with
one line naming the variable, instead of a traceback at the first request.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from dotenv import dotenv_values

REQUIRED = object()

# Names the FastAPI app read, accepted when the Django-style name is not set.
LEGACY_NAMES = {
    "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_KEY",
    "AWS_S3_ENDPOINT_URL": "S3_ENDPOINT_URL",
    "AWS_STORAGE_BUCKET_NAME": "BUCKET_NAME",
    "AWS_S3_REGION_NAME": "REGION_NAME",
    "CORS_ALLOWED_ORIGINS": "CORS_ORIGINS",
}
# The FastAPI app's defaults, which its .env files rely on (its sample has no BUCKET_NAME). They apply only
# while the S3 settings use that app's names alone, so that a configuration in the new names means what it says.
LEGACY_DEFAULTS = {
    "AWS_STORAGE_BUCKET_NAME": "photos",
    "AWS_S3_ENDPOINT_URL": "http://localhost:9000",
    "AWS_S3_REGION_NAME": "auto",
}
# S3_PUBLIC_URL was read by the FastAPI app but never used; photosite ignores it too.
LEGACY_S3_NAMES = ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "S3_ENDPOINT_URL", "BUCKET_NAME", "REGION_NAME", "S3_PUBLIC_URL")
# photosite's own names of the S3 settings.
S3_NAMES = tuple(name for name in LEGACY_NAMES if name.startswith("AWS_"))

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(SystemExit):
    """A setting is missing or malformed: exits with a one-line message, no traceback."""

    def __init__(self, name, problem):
        super().__init__(f"photosite: configuration error: {name} {problem}")


class Environment:
    """Typed access to os.environ, falling back to a .env file and to legacy names."""

    def __init__(self, environ=None, env_file=None):
        self.values = dict(os.environ if environ is None else environ)
        if env_file and Path(env_file).is_file():
            for name, value in dotenv_values(env_file).items():
                if value is not None:
                    self.values.setdefault(name, value)

    def is_set(self, name):
        return bool(self.values.get(name, "").strip())

    def uses_legacy_s3_names(self):
        """Whether the S3 settings come in the FastAPI app's names only, as in that app's .env files."""
        return any(map(self.is_set, LEGACY_S3_NAMES)) and not any(map(self.is_set, S3_NAMES))

    def lookup(self, name):
        """Return (the name that was set, its value), or (name, None) when neither name is set.

        With the FastAPI app's names in use, its default counts as set, under the old name.
        """
        legacy = LEGACY_NAMES.get(name)
        for candidate in (name, legacy):
            if candidate and self.is_set(candidate):
                return candidate, self.values[candidate].strip()
        if name in LEGACY_DEFAULTS and self.uses_legacy_s3_names():
            return legacy, LEGACY_DEFAULTS[name]
        return name, None

    def str(self, name, default=REQUIRED):
        _, value = self.lookup(name)
        if value is None:
            if default is REQUIRED:
                raise ConfigError(self.both_names(name), "is not set")
            return default
        return value

    @staticmethod
    def both_names(name):
        """The name, and the FastAPI app's name for the same setting if it had one."""
        legacy = LEGACY_NAMES.get(name)
        return f"{name} (or the old app's {legacy})" if legacy else name

    def bool(self, name, default):
        source, value = self.lookup(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise ConfigError(source, f"must be true or false, not {value!r}")

    def int(self, name, default, minimum=1, maximum=None):
        source, value = self.lookup(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(source, f"must be a whole number, not {value!r}") from None
        if number < minimum:
            raise ConfigError(source, f"must be at least {minimum}, not {number}")
        if maximum is not None and number > maximum:
            raise ConfigError(source, f"must be at most {maximum}, not {number}")
        return number

    def url(self, name, default=REQUIRED):
        """An http(s) URL such as https://s3.example.com, without a trailing slash."""
        source, url = self.lookup(name)
        if url is None:
            return self.str(name, default)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(source, f"must be an http:// or https:// URL, not {url!r}")
        return url.rstrip("/")

    def list(self, name, default=()):
        """A comma-separated list, blanks dropped."""
        _, value = self.lookup(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def database(self, name="DATABASE_URL", default=REQUIRED):
        """Django's DATABASES entry from a PostgreSQL URL, also in SQLAlchemy's form (postgresql+psycopg://).

        With default None and no URL set: an empty entry, which Django fills with its dummy backend.
        """
        url = self.str(name, default)
        if url is None:
            return {}
        scheme, separator, rest = url.partition("://")
        if not separator:
            raise ConfigError(name, f"must be a URL such as postgres://user:password@host:5432/db, not {url!r}")
        # SQLAlchemy names the driver after a plus sign; Django picks its own driver.
        scheme = scheme.split("+", 1)[0]
        try:
            config = dj_database_url.parse(f"{scheme}://{rest}")
        except ValueError as error:
            raise ConfigError(name, f"is not a database URL Django understands ({error})") from None
        # The keyset pages, the row locks and the job queue are PostgreSQL's: no other database stands in.
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise ConfigError(name, f"must be a PostgreSQL URL (postgres://...), not {scheme}://")
        return config
