"""The strategic report as Markdown, with citations linking to the evidence section."""

from __future__ import annotations


def _refs(ids: list[str] | None, index: dict[str, int]) -> str:
    marks = [f"[[{index[i]}]](#evidence-{index[i]})" for i in ids or [] if i in index]
    return (" " + " ".join(marks)) if marks else ""


def render_report(question: str, report: dict, evidence: list[dict]) -> str:
    index = {item["id"]: n for n, item in enumerate(evidence, 1)}
    lines = [f"# Strategic analysis: {question}", ""]
    if report.get("method") == "extractive":
        lines += ["> Built extractively from the retrieved evidence (no language model).", ""]
    lines += ["## Executive summary", "", report["executive_summary"], ""]
    lines += [f"Overall confidence: {report['overall_confidence']:.0%}", "", "## SWOT", ""]
    for name in ("strengths", "weaknesses", "opportunities", "threats"):
        lines.append(f"**{name.capitalize()}**")
        lines += [f"- {item}" for item in report["swot"].get(name, [])] or ["- (none)"]
        lines.append("")
    lines += ["## Key risks", "", "| risk | likelihood | impact | evidence |", "|---|---|---|---|"]
    for risk in report["key_risks"]:
        text = risk["risk"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {text} | {risk['likelihood']} | {risk['impact']}/5 |"
                     f"{_refs(risk.get('evidence_ids'), index)} |")
    lines += ["", "## Recommendations", ""]
    for rec in report["recommendations"]:
        lines.append(f"- **{rec['priority']}**: {rec['action']}"
                     f"{_refs(rec.get('evidence_ids'), index)}")
    lines += ["", "## Citations", ""]
    for cite in report["citations"]:
        lines.append(f"- {_refs([cite['id']], index).strip()} “{cite['quote']}”")
    lines += ["", "## Evidence", ""]
    for item in evidence:
        n = index[item["id"]]
        source = item.get("title") or item.get("source") or item.get("document_id", "")
        lines.append(f'<a id="evidence-{n}"></a>**[{n}]** {source} (`{item["id"]}`, '
                     f"score {item.get('score', 0):.2f}): {item['text']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
