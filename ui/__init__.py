"""GimpUi dialogs for the GIMP 3 plug-in (imported only in INTERACTIVE runs, when there is a display)."""
