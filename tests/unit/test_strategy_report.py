"""Citation checks and Markdown rendering of the strategic report."""

from tests.markup_probe import HOSTILE, assert_inert, flat
from workers.strategic_analysis.engine.agents import merge_hits
from workers.strategic_analysis.engine.citations import cited_ids, verify_citations
from workers.strategic_analysis.engine.markdown import render_report

EVIDENCE = [{"id": "c1", "text": "Revenue rose.", "score": 0.9, "title": "q3"},
            {"id": "c2", "text": "Fines loom.", "score": 0.5, "source": "eu.pdf"}]
REPORT = {"executive_summary": "Mixed.", "overall_confidence": 0.4, "method": "extractive",
          "swot": {"strengths": ["growth"], "weaknesses": [], "opportunities": [],
                   "threats": ["fines | penalties"]},
          "key_risks": [{"risk": "fines | penalties", "likelihood": "high", "impact": 4,
                         "evidence_ids": ["c2", "ghost"]}],
          "recommendations": [{"action": "Hedge", "priority": "high", "evidence_ids": ["c1"]}],
          "citations": [{"id": "c1", "quote": "Revenue rose."}, {"id": "ghost", "quote": "x"}]}


def test_unknown_ids_are_dropped_and_each_is_flagged_with_its_place():
    cleaned, problems = verify_citations(REPORT, {"c1", "c2"}, "report")
    assert cleaned["key_risks"][0]["evidence_ids"] == ["c2"]
    assert cleaned["citations"] == [{"id": "c1", "quote": "Revenue rose."}]
    assert problems == [
        {"path": "report.key_risks.0.evidence_ids", "id": "ghost", "problem": "not retrieved"},
        {"path": "report.citations.1", "id": "ghost", "problem": "not retrieved"}]
    assert REPORT["citations"][1]["id"] == "ghost"  # the input is left alone
    assert cited_ids(cleaned) == {"c1", "c2"}


def test_markdown_links_citations_to_the_evidence_and_marks_extractive_reports():
    text = render_report("Grow?", verify_citations(REPORT, {"c1", "c2"})[0], EVIDENCE)
    assert text.startswith("# Strategic analysis: Grow?")
    assert "no language model" in text
    assert "| fines \\| penalties | high | 4/5 | [[2]](#evidence-2) |" in text
    assert '<a id="evidence-1"></a>**[1]** q3' in text
    assert "- **high**: Hedge [[1]](#evidence-1)" in text


def test_hostile_question_documents_and_model_output_stay_text_in_the_report():
    """What users ask, documents say and models answer is text in the Markdown: no element
    comes from it, every heading, list and table row stays where the report put it."""
    evidence = [{"id": "c1", "text": HOSTILE, "score": 0.9, "title": HOSTILE},
                {"id": "c2", "text": "Fines loom.", "score": 0.5, "document_id": HOSTILE}]
    report = {"executive_summary": HOSTILE, "overall_confidence": 0.4,
              "swot": {"strengths": [HOSTILE], "threats": ["- nested", "# heading"]},
              "key_risks": [{"risk": HOSTILE, "likelihood": HOSTILE, "impact": 4,
                             "evidence_ids": ["c1"]}],
              "recommendations": [{"action": HOSTILE, "priority": HOSTILE,
                                   "evidence_ids": ["c2"]}],
              "citations": [{"id": "c1", "quote": HOSTILE}]}
    out = assert_inert(render_report(HOSTILE, report, evidence))
    tags = [tag for tag, _ in out.tags]
    assert tags.count("h1") == 1 and tags.count("h2") == 6 and "pre" not in tags
    assert tags.count("tr") == 2 and tags.count("td") == 4  # one risk, in its four cells
    assert tags.count("li") == 5 + 1 + 1  # SWOT (two "(none)"), advice, citation
    assert {"id": "evidence-1"} in out.named("a") and {"id": "evidence-2"} in out.named("a")
    assert {"href": "#evidence-1"} in out.named("a") and {"href": "#evidence-2"} in out.named("a")
    assert flat(out.text).count(flat(HOSTILE)) == 11
    assert "- nested" in out.text and "# heading" in out.text


def test_merge_hits_keeps_the_best_score_per_chunk():
    hits = [[{"chunk_id": "a", "text": "A", "score": 0.2, "document_id": "d"}],
            [{"chunk_id": "a", "text": "A", "score": 0.7, "document_id": "d"},
             {"chunk_id": "b", "text": "B", "score": 0.5, "document_id": "e",
              "metadata": {"title": "T"}}]]
    merged = merge_hits(hits, k=5)
    assert [(e["id"], e["score"]) for e in merged] == [("a", 0.7), ("b", 0.5)]
    assert merged[1]["title"] == "T"
    assert len(merge_hits(hits, k=1)) == 1
