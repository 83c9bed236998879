"""Complete ``ingest`` and ``youtube`` params (see :class:`app.workflows.registry.Example`).
The collection must exist first (``POST /api/v1/collections {"name": "handbook"}``)."""

from app.workflows.registry import Example

INGEST = (
    Example("Two documents into the collection 'handbook' (text and Markdown)", {
        "collection": "handbook",
        "documents": [
            {"text": "Employees get 25 vacation days a year. Unused days carry over to the "
                     "next year, up to ten days. Requests go to your manager two weeks "
                     "ahead.",
             "title": "Leave policy", "metadata": {"topic": "hr"}},
            {"text": "# Expenses\n\nTravel is booked through the travel desk. Receipts are "
                     "uploaded within 30 days; meals are refunded up to 40 EUR a day.",
             "filename": "expenses.md", "title": "Expenses", "metadata": {"topic": "finance"}},
        ]}),
)

YOUTUBE = (
    Example("A video's transcript into the collection 'talks', with a three-sentence summary",
            {"video": "https://youtu.be/GJLlxj_dtq8", "collection": "talks",
             "summary_sentences": 3}),
)
