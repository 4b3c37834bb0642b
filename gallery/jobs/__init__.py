"""Background jobs on Procrastinate: PostgreSQL holds the queue, `manage.py procrastinate worker` runs it.

One module per kind of work; the worker imports this package (PROCRASTINATE_IMPORT_PATHS), which imports them:

- queue: what every job shares: the queues, the retry policy for S3 and PostgreSQL failures, @periodic;
- photos: a photo's processing once its upload is stored (the renditions and any other @photo_step);
- maintenance: the periodic upkeep of the queue itself (stalled jobs of dead workers, old job rows);
- library: the trash's periodic purge, and the metadata of photos stored before it was read at upload.
- gallery.direct_uploads.jobs: a direct upload's verification, and the cleanup of abandoned ones.

A later feature adds a per-photo step with @photos.photo_step in its own module, or a scheduled task with
@queue.periodic, and imports that module here.
"""

from gallery.direct_uploads import jobs as direct_upload_jobs  # noqa: F401 (they register their tasks)
from gallery.jobs import library, maintenance, photos  # noqa: F401
