"""The Imagen (legacy) wing: Google shut the Imagen family down in 2026; this keeps its backend, its
request tables and its two menu-less actions (automatic masks, SynthID checks) out of the main rooms.

backend.py: the backend; requests.py, responses.py, models.py, classes.py: its request and answer
tables; ops.py: its operations (registered into plugin.ops_base's table).
"""
