# A photo's placeholder (gallery.images.placeholders), made by its job: older photos get theirs from
# make_renditions, which queues every photo without one.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0009_photo_missing_renditions'),
    ]

    operations = [
        migrations.AddField(
            model_name='photo',
            name='average_colour',
            field=models.CharField(blank=True, editable=False, help_text='The ThumbHash\'s average colour, "#rrggbb".', max_length=7),
        ),
        migrations.AddField(
            model_name='photo',
            name='thumbhash',
            field=models.CharField(blank=True, editable=False, help_text='The ThumbHash placeholder, in base64; empty until made.', max_length=64),
        ),
    ]
