"""Helpers for testing a set-up (not imported by ``projects.transavs``; load them on purpose,
e.g. ``custom_imports = dict(imports=['projects.transavs.testing.faults'])``)."""
