"""The database cache's table (settings.CACHES), in which the upload limits count.

Made here rather than by `manage.py createcachetable`, so that `manage.py migrate` alone prepares a database
for everything the site uses, as deploys that run only migrate expect. The test database gets it this way too.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # Django's own command: it skips a table that exists (one made by createcachetable before this migration).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps, schema_editor):
    for alias in settings.CACHES:
        if isinstance(caches[alias], BaseDatabaseCache):
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(caches[alias]._table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0002_photo_has_renditions"),
    ]

    operations = [migrations.RunPython(create_cache_tables, drop_cache_tables)]
