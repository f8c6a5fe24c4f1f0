"""gi.repository for the stub: Gimp.PlugIn and Gimp.main that report, every other name a dummy."""

import json
import sys


class _Anything:
    """GObject.ParamFlags.READWRITE, Gegl.Rectangle.new(...): whatever module-level code touches."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __or__(self, other):
        return self


class _PlugIn:
    __gtype__ = None
    defined = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _PlugIn.defined.append(cls)


def _main(gtype, argv):
    """What GIMP would learn when querying: the procedures; and which `plugin` package answered."""
    plugin = _PlugIn.defined[-1]()
    package = sys.modules.get("plugin")
    print(
        json.dumps(
            {
                "procedures": list(plugin.do_query_procedures()),
                "argv0": argv[0],
                "package": getattr(package, "__file__", None),
            }
        )
    )


class _Gimp(_Anything):
    PlugIn = _PlugIn
    main = staticmethod(_main)


Gimp = _Gimp()


def __getattr__(name):
    return _Anything()
