"""Celery tasks: thin wrappers that bind plain analysis functions to the job engine.

Task names are explicit and stable (``dia3.<area>.<action>``): they are part of the message
format, so renaming one would strand messages already queued.
"""

from workers import signals  # noqa: F401  (worker lifecycle hooks)
