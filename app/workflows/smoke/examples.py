"""Complete ``smoke`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (Example("Three chained steps that add one to 1 twice", {"start": 1}),)
