"""A topics result in the Markdown report (MCP's report resource, the dashboard's download,
``--output report.md``): a table of the topics, then each topic's representative texts,
with what documents wrote kept as text."""

from app.reports import job_markdown, result_kind

RESULT = {"topics": [{"id": 0, "label": "bank, rates", "size": 2, "keywords": ["bank", "rates"],
                      "representatives": [{"index": 1, "document_id": "d|1",
                                           "text": "Rates <b>rose</b> | fell"}]},
                     {"id": 1, "label": "cup", "size": 1, "keywords": ["cup"],
                      "representatives": [{"index": 0, "text": "The cup [final](x)"}]}],
          "assignments": [1, 0, 0], "outliers": 0, "k": 2, "method": "kmeans", "seed": 3,
          "count": 3}


def test_topics_report_lists_topics_and_their_representatives_as_text():
    assert result_kind(RESULT) == "topics"
    text = job_markdown({"workflow": "topics", "id": "j1", "state": "succeeded"}, RESULT)
    assert "2 topics in 3 texts (kmeans, seed 3); 0 outliers." in text
    assert "| topic | label | size | keywords |" in text
    assert "| 0 | bank, rates | 2 | bank, rates |" in text
    assert "### 1: cup" in text and "- text 0: " in text
    assert "<b>" not in text and "[final](x)" not in text  # markup stays text


def test_the_terminal_summary_is_a_table_of_the_topics():
    from rich.console import Console

    from app.cli import results
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    for renderable in results.render({"workflow": "topics"}, RESULT):
        console.print(renderable)
    text = console.export_text()
    assert "2 topics in 3 texts (kmeans, seed 3; 0 outliers)" in text
    assert "bank, rates" in text and "Rates <b>rose</b> | fell" in text
