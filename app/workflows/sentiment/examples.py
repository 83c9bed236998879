"""Complete ``sentiment`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("Three reviews with times: labels, counts and a daily trend", {
        "texts": ["The new release is fantastic, setup took two minutes.",
                  "Support never answered my ticket. Very disappointing.",
                  "It works."],
        "ids": ["r1", "r2", "r3"],
        "timestamps": ["2025-03-01T09:00:00Z", "2025-03-01T15:30:00Z", "2025-03-02T10:00:00Z"],
        "bucket": "day"}),
)
