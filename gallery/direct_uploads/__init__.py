"""Direct uploads: browsers and scripts send a photo's bytes straight to the bucket, resumably, and a job
verifies them before they become a photo through the one upload path (PhotoUploadSerializer, Photo.save_upload).

- models: the upload session (owner, its key under incoming/, the declared size, its state);
- s3: the S3 calls of the protocol (pre-signed POSTs and part URLs, ListParts, completing, aborting);
- sessions: the protocol's rules, which the API calls: start, sign parts, complete, abort, expire;
- serializers, api: POST /api/uploads and the rest of the protocol, in the OpenAPI schema;
- jobs: the verification job and the periodic cleanup of abandoned sessions;
- bucket: the bucket's CORS and lifecycle rules (configure_bucket) and whether browsers may upload to it;
- reconcile: what reconcile_storage reports under incoming/.
"""
