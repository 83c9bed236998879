"""Complete ``topics`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("Two topics in six texts", {
        "texts": ["The striker scored twice and the team won the league match.",
                  "The coach praised the goalkeeper after the cup final.",
                  "Fans cheered as the season opener ended in a late winner.",
                  "Shares fell after the bank reported lower quarterly profit.",
                  "The central bank raised interest rates to curb inflation.",
                  "Investors sold stocks as oil prices and bond yields rose."],
        "k": 2, "seed": 7}),
    Example("The topics of the collection 'handbook', found automatically", {
        "collection": "handbook", "k": "auto"}),
    Example("Two topics among the collection's documents tagged hr or finance", {
        "collection": "handbook", "where": {"topic": {"$in": ["hr", "finance"]}}, "k": 2,
        "seed": 1}),
)
