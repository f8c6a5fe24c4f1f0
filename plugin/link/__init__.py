"""The link between GIMP (or the CLI) and the worker process: both ends of the job protocol.

Client half (Python 2.7 syntax, standard library: GIMP 2.10 loads it): jobs.py (job folders, locks,
sweep), worker_client.py (the cold worker), warm_client.py and warm_channel.py (the warm worker's
socket). Server half (the venv): jobfiles.py (the folder format, shared and 2.7-safe), worker.py,
job_runner.py, warm_server.py, warm_child.py, and cli_warm.py (the command line's jobs on the warm
worker). Nothing here imports plugin.hosts: the CLI and the worker never load GIMP's side.
"""
