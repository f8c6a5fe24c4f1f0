"""The Imagen (legacy) wing: Google shut the Imagen family down in 2026; this keeps its backend, its
request tables and its two menu-less actions (automatic masks, SynthID checks) out of the main rooms.

backend.py: the backend; sizing.py: the size Imagen works at (the pipeline never resizes); requests.py,
edit_requests.py, request_parts.py: its requests; responses.py: its answers; models.py, classes.py: its
tables; ops.py: its operations (registered into plugin.ops_base's table).
"""
