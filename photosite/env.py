"""Read configuration from the environment and an optional .env file.

Every value can also be given under the name the earlier FastAPI app used, so
its .env files keep working. A missing or malformed value stops start-up with
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

    def lookup(self, name):
        """Return (the name that was set, its value), or (name, None) when neither name is set."""
        for candidate in (name, LEGACY_NAMES.get(name)):
            if candidate and self.values.get(candidate, "").strip():
                return candidate, self.values[candidate].strip()
        return name, None

    def str(self, name, default=REQUIRED):
        _, value = self.lookup(name)
        if value is None:
            if default is REQUIRED:
                raise ConfigError(name, "is not set")
            return default
        return value

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
        """Django's DATABASES entry from a URL, also in SQLAlchemy's form (postgresql+psycopg://)."""
        url = self.str(name, default)
        scheme, separator, rest = url.partition("://")
        if not separator:
            raise ConfigError(name, f"must be a URL such as postgres://user:password@host:5432/db, not {url!r}")
        # SQLAlchemy names the driver after a plus sign; Django picks its own driver.
        scheme = scheme.split("+", 1)[0]
        try:
            return dj_database_url.parse(f"{scheme}://{rest}")
        except ValueError as error:
            raise ConfigError(name, f"is not a database URL Django understands ({error})") from None
