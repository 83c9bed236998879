"""The agents: one analyst per perspective, a critic and a synthesiser.

Each is one structured call to the LLM client with the retrieved evidence attached; the local
backend fills the same schemas extractively, so the workflow runs with no model at all.
"""

from __future__ import annotations

from typing import Any

from app.workflows.strategic_analysis.perspectives import DEFAULT_PERSPECTIVES  # noqa: F401
from workers.llm.options import RequestOptions
from workers.strategic_analysis.engine import schemas


def _ask(client, messages: list[dict], schema: dict, role: str, evidence: list[dict],
         name: str):
    """One structured call of an agent with its evidence. A model is asked to follow the
    schema tightened for models (cited ids limited to the retrieved ones, bounded lengths);
    the reply is accepted by the schema itself, so an id a model invents anyway is dropped
    and listed by the citation check rather than failing the step."""
    constraint = (schemas.for_model(schema, [e["id"] for e in evidence])
                  if client.backend.method == "llm" else None)
    return client.structured(messages, schema, _options(role, evidence), schema_name=name,
                             constraint=constraint)


def _options(role: str, evidence: list[dict]) -> RequestOptions:
    """The agent's role and its retrieved evidence, as the passages the model may cite."""
    return RequestOptions(role=role, evidence=[
        {"id": e["id"], "text": e["text"], "source": e.get("title") or e.get("source") or ""}
        for e in evidence])


def analyse_perspective(client, question: str, perspective: str, evidence: list[dict]
                        ) -> tuple[dict, dict]:
    """(analysis, usage) of one analyst looking at ``question`` from ``perspective``."""
    messages = [
        {"role": "system", "content": (
            f"You are a strategy analyst covering the {perspective} perspective. Use only the "
            "evidence provided; cite evidence ids for every finding. Write a summary (two "
            "sentences answering the question), findings (each a claim in your own words and "
            "the ids of the passages that support it), risks and opportunities (short "
            "phrases) and your confidence from 0 to 1.")},
        {"role": "user", "content": f"{question} ({perspective} perspective)"},
    ]
    result = _ask(client, messages, schemas.PERSPECTIVE, "analyst", evidence, "perspective")
    return {"perspective": perspective, **result.data}, result.usage.to_dict()


def critique(client, question: str, analyses: list[dict], evidence: list[dict]
             ) -> tuple[dict, dict]:
    """(critique, usage): a critic challenges the analysts' claims and names gaps."""
    messages = [
        {"role": "system", "content": (
            "You are a critical reviewer. Challenge weak or unsupported claims in the analyses "
            "below, name gaps in the evidence, and cite evidence ids. Write a summary, "
            "challenges (each the claim you question, your concern and the ids of the passages "
            "that bear on it), gaps (what the evidence does not cover) and your confidence "
            "from 0 to 1.")},
        {"role": "user", "content": question + "\n\nAnalyses:\n" + brief_analyses(analyses)},
    ]
    result = _ask(client, messages, schemas.CRITIQUE, "critic", evidence, "critique")
    return result.data, result.usage.to_dict()


def synthesise(client, question: str, analyses: list[dict], review: dict,
               evidence: list[dict]) -> tuple[dict, dict]:
    """(report, usage): the final report from the analyses and the critique."""
    messages = [
        {"role": "system", "content": (
            "You are the lead strategist. Write the final report: executive summary, SWOT, key "
            "risks with likelihood and impact (1-5), recommendations, overall confidence and "
            "citations (evidence id and a short quote). Cite only the evidence provided.")},
        {"role": "user", "content": question + "\n\nAnalyses:\n" + brief_analyses(analyses)
         + "\n\nCritique:\n" + brief_critique(review)},
    ]
    result = _ask(client, messages, schemas.REPORT, "synthesiser", evidence, "report")
    return result.data, result.usage.to_dict()


# Longest text of another agent's quoted to the next one (its whole output can overflow a
# small model's context window, and the next agent needs the gist, not every word).
BRIEF_TEXT = 300


def _cut(text: Any) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= BRIEF_TEXT else text[:BRIEF_TEXT - 1].rstrip() + "…"


def _ids(ids: list[str] | None) -> str:
    return f" [{', '.join(ids)}]" if ids else ""


def brief_analyses(analyses: list[dict]) -> str:
    """The analysts' outputs as compact text: summary, cited findings, risks, opportunities."""
    lines = []
    for analysis in analyses:
        lines.append(f"- {analysis.get('perspective', 'analysis')}: "
                     f"{_cut(analysis.get('summary', ''))}")
        lines += [f"  finding: {_cut(f.get('claim', ''))}{_ids(f.get('evidence_ids'))}"
                  for f in analysis.get("findings", [])]
        for name in ("risks", "opportunities"):
            if analysis.get(name):
                lines.append(f"  {name}: " + "; ".join(_cut(x) for x in analysis[name]))
    return "\n".join(lines)


def brief_critique(review: dict) -> str:
    """The critic's output as compact text: summary, challenges, gaps."""
    lines = [_cut(review.get("summary", ""))]
    lines += [f"- challenge: {_cut(c.get('claim', ''))}: {_cut(c.get('concern', ''))}"
              f"{_ids(c.get('evidence_ids'))}" for c in review.get("challenges", [])]
    if review.get("gaps"):
        lines.append("- gaps: " + "; ".join(_cut(g) for g in review["gaps"]))
    return "\n".join(lines)


def perspective_queries(question: str, perspectives: list[str]) -> list[str]:
    return [question] + [f"{question} {p}" for p in perspectives]


def merge_hits(hit_lists: list[list[dict]], k: int) -> list[dict]:
    """Best ``k`` distinct chunks over several searches, as evidence items."""
    best: dict[str, dict[str, Any]] = {}
    for hits in hit_lists:
        for hit in hits:
            if hit["chunk_id"] not in best or hit["score"] > best[hit["chunk_id"]]["score"]:
                meta = hit.get("metadata") or {}
                best[hit["chunk_id"]] = {"id": hit["chunk_id"], "text": hit["text"],
                                         "score": hit["score"],
                                         "document_id": hit["document_id"],
                                         "title": meta.get("title"),
                                         "source": meta.get("source")}
    return sorted(best.values(), key=lambda e: -e["score"])[:k]
