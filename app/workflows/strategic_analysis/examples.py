"""Complete ``strategic_analysis`` params (see :class:`app.workflows.registry.Example`); the
collection holds the ``ingest`` example's documents."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("Two analyst perspectives on a policy question over the collection 'handbook'", {
        "question": "Should we offer more vacation days to attract engineers?",
        "collection": "handbook", "perspectives": ["finance", "people"], "k": 5}),
)
