"""Complete ``pipeline`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("Three smoke stages, each starting from the value the one before it reached", {
        "stages": [
            {"name": "first", "workflow": "smoke", "params": {"start": 1}},
            {"name": "second", "workflow": "smoke",
             "inputs": {"start": {"from": "first", "path": "value"}}},
            {"name": "third", "workflow": "smoke",
             "inputs": {"start": {"from": "second", "path": "value"}}},
        ]}),
    Example("A video's transcript into 'talks', sentiment over its summary's sentences, then "
            "a strategic analysis of the collection", {
        "stages": [
            {"name": "video", "workflow": "youtube",
             "params": {"video": "https://youtu.be/GJLlxj_dtq8", "collection": "talks",
                        "summary_sentences": 3}},
            {"name": "mood", "workflow": "sentiment",
             "inputs": {"texts": {"from": "video", "path": "summary[*].text"}}},
            {"name": "analysis", "workflow": "strategic_analysis", "after": ["mood"],
             "params": {"question": "What does the talk recommend, and what are its risks?",
                        "perspectives": ["engineering", "business"], "k": 4},
             "inputs": {"collection": {"from": "video", "path": "collection"}}},
        ]}),
)
