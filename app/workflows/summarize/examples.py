"""Complete ``summarize`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("A text in three key points", {
        "text": "The quarterly review showed revenue up 12 percent, driven by the new "
                "subscription plans. Costs rose 5 percent, mostly from hiring in support. "
                "Churn fell for the third quarter in a row. The board approved a second data "
                "centre to cut latency in Asia. Next quarter the focus is on onboarding and "
                "on the partner programme.",
        "max_points": 3}),
    Example("Every document of the collection 'handbook', focused on money", {
        "collection": "handbook", "focus": "costs and refunds", "max_points": 3}),
)
