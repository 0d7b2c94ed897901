"""The Thrixel download API under /thrixel: ``/api/v1/{submission_id}/download`` and the
``/api/v1/convert`` jobs over meshfarm's models and its conversion cache."""
