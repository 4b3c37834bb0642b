"""purge_trash: delete forever the photos that have been in the trash longer than GALLERY_TRASH_DAYS."""

from django.conf import settings
from django.core.management.base import BaseCommand

from gallery.library.trash import purge_expired


class Command(BaseCommand):
    help = (
        "Delete forever, with their objects in the bucket, the photos that have been in the trash longer than "
        "GALLERY_TRASH_DAYS days: what the periodic job does, for a cron job or by hand."
    )

    def handle(self, *args, **options):
        purged = purge_expired()
        self.stdout.write(f"Deleted {purged} photos that were in the trash over {settings.GALLERY_TRASH_DAYS} days.")
