"""A stand-in for PyGObject, just enough to run the GIMP 3 entry outside GIMP (tests/test_install.py).

The entry then registers nothing: Gimp.main prints what GIMP would have learnt at query time (the
procedure names) and where the `plugin` package came from, which shows that an entry file found
its installation.
"""


def require_version(namespace, version):
    """Accept any namespace: the stub has them all."""
