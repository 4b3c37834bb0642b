# Which renditions a ready photo lacks: the grid size is new, so the photos processed before it lack it until
# make_renditions remakes them (their pages leave it out meanwhile).

import django.contrib.postgres.fields
from django.db import migrations, models


def grid_size_missing(apps, schema_editor):
    Photo = apps.get_model("gallery", "Photo")
    Photo.objects.filter(state="ready").update(missing_renditions=["grid"])


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0008_direct_upload_sessions'),
    ]

    operations = [
        migrations.AddField(
            model_name='photo',
            name='missing_renditions',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=20), blank=True, default=list, editable=False, help_text='The renditions (gallery.images.RENDITIONS) a ready photo lacks: a size added after it was processed, until make_renditions remakes it.', size=None),
        ),
        migrations.RunPython(grid_size_missing, migrations.RunPython.noop),
    ]
