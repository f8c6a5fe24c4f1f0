"""imagen-gimp: generative editing for GIMP through Imagen / Gemini on Vertex AI, or offline.

This package is imported by GIMP's own Python (hosts/, geometry, hostjob) and by the worker in the
project's venv (everything else). Keep this file free of imports so GIMP can load the host side
without NumPy or Pillow.
"""

__version__ = "0.1.0"
