"""Retired paths kept for projects that still use them, each a wing of its own off the main path."""
