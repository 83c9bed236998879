"""The strategic report as Markdown, with citations linking to the evidence section.

The question, the documents' titles and text and everything the models wrote are untrusted:
each goes in through ``app.reports.markup``, so the only HTML here is the evidence anchors.
"""

from __future__ import annotations

from app.reports import markup as md


def _refs(ids: list[str] | None, index: dict[str, int]) -> str:
    marks = [f"[[{index[i]}]](#evidence-{index[i]})" for i in ids or [] if i in index]
    return (" " + " ".join(marks)) if marks else ""


def render_report(question: str, report: dict, evidence: list[dict]) -> str:
    index = {item["id"]: n for n, item in enumerate(evidence, 1)}
    lines = [f"# Strategic analysis: {md.inline(question)}", ""]
    if report.get("method") == "extractive":
        lines += ["> Built extractively from the retrieved evidence (no language model).", ""]
    lines += ["## Executive summary", "", md.paragraphs(report["executive_summary"]), ""]
    lines += [f"Overall confidence: {report['overall_confidence']:.0%}", "", "## SWOT", ""]
    for name in ("strengths", "weaknesses", "opportunities", "threats"):
        lines.append(f"**{name.capitalize()}**")
        lines += [f"- {md.inline(item)}" for item in report["swot"].get(name, [])] \
            or ["- (none)"]
        lines.append("")
    lines += ["## Key risks", "", "| risk | likelihood | impact | evidence |", "|---|---|---|---|"]
    for risk in report["key_risks"]:
        lines.append(f"| {md.inline(risk['risk'])} | {md.inline(risk['likelihood'])} | "
                     f"{md.inline(risk['impact'])}/5 |{_refs(risk.get('evidence_ids'), index)} |")
    lines += ["", "## Recommendations", ""]
    for rec in report["recommendations"]:
        lines.append(f"- **{md.inline(rec['priority'])}**: {md.inline(rec['action'])}"
                     f"{_refs(rec.get('evidence_ids'), index)}")
    lines += ["", "## Citations", ""]
    for cite in report["citations"]:
        lines.append(f"- {_refs([cite['id']], index).strip()} “{md.inline(cite['quote'])}”")
    lines += ["", "## Evidence", ""]
    for item in evidence:
        n = index[item["id"]]
        source = item.get("title") or item.get("source") or item.get("document_id", "")
        lines.append(f"{md.anchor(f'evidence-{n}')}**[{n}]** {md.inline(source)} "
                     f"({md.code(item['id'])}, score {item.get('score', 0):.2f}): "
                     f"{md.inline(item['text'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
