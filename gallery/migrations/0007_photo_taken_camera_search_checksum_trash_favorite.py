# The generated fields are added before the indexes on them (makemigrations put them last). Made by Django 5.2.19 on 2026-12-02 02:56

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.comparison
import django.db.models.manager
import gallery.library.taken
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0006_ratecount"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="photo",
            options={"base_manager_name": "all_objects", "ordering": ["-sort_at", "-id"]},
        ),
        migrations.AlterModelManagers(
            name="photo",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.RemoveIndex(
            model_name="photo",
            name="photo_newest_first",
        ),
        migrations.AddField(
            model_name="photo",
            name="camera_make",
            field=models.CharField(blank=True, editable=False, max_length=100, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="camera_model",
            field=models.CharField(blank=True, editable=False, max_length=100, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="checksum",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="SHA-256 of the bytes as uploaded, in hex; an owner has each at most once.",
                max_length=64,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="exposure_time",
            field=models.FloatField(blank=True, editable=False, help_text="Seconds.", null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="f_number",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="favorite",
            field=models.BooleanField(default=False, verbose_name="favourite"),
        ),
        migrations.AddField(
            model_name="photo",
            name="focal_length",
            field=models.FloatField(blank=True, editable=False, help_text="Millimetres.", null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="iso",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name="ISO"),
        ),
        migrations.AddField(
            model_name="photo",
            name="lens",
            field=models.CharField(blank=True, editable=False, max_length=100, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="metadata_read",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Whether the EXIF and checksum have been read (python manage.py extract_metadata for older photos).",
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="original_filename",
            field=models.CharField(
                blank=True, editable=False, help_text="The file's name on the uploader's machine.", max_length=255
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="taken_at",
            field=gallery.library.taken.WallClockDateTimeField(
                blank=True,
                help_text="The camera's wall-clock time, in the time zone it was in.",
                null=True,
                verbose_name="date taken",
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="taken_at_corrected",
            field=models.BooleanField(
                default=False, editable=False, help_text="Set by the owner: reading the EXIF again never changes it."
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="taken_at_offset",
            field=models.SmallIntegerField(
                blank=True,
                help_text="Minutes east of UTC of the clock taken_at was read from.",
                null=True,
                verbose_name="UTC offset",
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="trashed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="photo",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    models.Func(
                        models.F("title"),
                        models.Value("[[:punct:]]"),
                        models.Value(" "),
                        models.Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    models.Func(
                        models.F("description"),
                        models.Value("[[:punct:]]"),
                        models.Value(" "),
                        models.Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    models.Func(
                        models.F("camera_make"),
                        models.Value("[[:punct:]]"),
                        models.Value(" "),
                        models.Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    models.Func(
                        models.F("camera_model"),
                        models.Value("[[:punct:]]"),
                        models.Value(" "),
                        models.Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    models.Func(
                        models.F("original_filename"),
                        models.Value("[[:punct:]]"),
                        models.Value(" "),
                        models.Value("g"),
                        function="regexp_replace",
                        output_field=models.TextField(),
                    ),
                    config="simple",
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="sort_at",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Coalesce(
                    models.Func(
                        models.Value("UTC"),
                        models.F("taken_at"),
                        function="timezone",
                        output_field=models.DateTimeField(),
                    ),
                    models.F("created_at"),
                ),
                output_field=models.DateTimeField(),
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("trashed_at", None)), fields=["-sort_at", "-id"], name="photo_newest_taken"
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("trashed_at", None)), fields=["-created_at", "-id"], name="photo_newest_first"
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("trashed_at", None)),
                fields=["owner", "-sort_at", "-id"],
                name="photo_owner_newest_taken",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("favorite", True), ("trashed_at", None)),
                fields=["owner", "-sort_at", "-id"],
                name="photo_owner_favorites",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("trashed_at__isnull", False)),
                fields=["owner", "-trashed_at", "-id"],
                name="photo_owner_trash",
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(
                condition=models.Q(("trashed_at__isnull", False)), fields=["trashed_at"], name="photo_trash_expiry"
            ),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="photo_search"),
        ),
        migrations.AddConstraint(
            model_name="photo",
            constraint=models.UniqueConstraint(fields=("owner", "checksum"), name="photo_unique_checksum_per_owner"),
        ),
    ]
