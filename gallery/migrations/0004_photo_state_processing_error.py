# A photo's renditions are made by a job now: has_renditions becomes state (processing, ready, failed).

from django.db import migrations, models


def state_from_renditions(apps, schema_editor):
    """Photos with renditions are ready; the others stay processing until make_renditions queues their jobs."""
    Photo = apps.get_model("gallery", "Photo")
    Photo.objects.filter(has_renditions=True).update(state="ready")


def renditions_from_state(apps, schema_editor):
    Photo = apps.get_model("gallery", "Photo")
    Photo.objects.filter(state="ready").update(has_renditions=True)


class Migration(migrations.Migration):

    dependencies = [
        ("gallery", "0003_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="processing_error",
            field=models.TextField(blank=True, editable=False, help_text="Why processing failed, when it did."),
        ),
        migrations.AddField(
            model_name="photo",
            name="state",
            field=models.CharField(
                choices=[("processing", "processing"), ("ready", "ready"), ("failed", "failed")],
                default="processing",
                editable=False,
                help_text="processing until a job worker has made the thumbnail and display size (gallery.jobs.photos).",
                max_length=10,
            ),
        ),
        migrations.RunPython(state_from_renditions, renditions_from_state),
        migrations.RemoveField(
            model_name="photo",
            name="has_renditions",
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(condition=models.Q(("state", "ready"), _negated=True), fields=["state"], name="photo_not_ready"),
        ),
    ]
