"""``youtube``: a video's transcript into a knowledge-base collection, with a sentiment
timeline and an extractive summary.

The transcript step runs under the shared YouTube quota; throttling (quota used up, YouTube's
"too many requests" or IP block) is retried later with backoff, while a video that will never
yield a transcript (unavailable, transcripts disabled, age-restricted, ...) fails the job with
the reason. Indexing and analysis then run in parallel and a chord callback writes the report.
"""

from __future__ import annotations

from celery import chain, chord, group
from marshmallow import Schema, fields, post_load, validate

from app.workflows.knowledge import steps
from app.workflows.knowledge.collections import (
    as_validation_error,
    collection_field,
    existing_collection,
)
from app.workflows.knowledge.examples import YOUTUBE
from app.workflows.knowledge.video_ids import parse_video_id
from app.workflows.registry import Plan, Workflow, register

LANGUAGE_CODE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"


class YouTubeParams(Schema):
    video = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "A YouTube video URL (any common shape) or its 11-character id"})
    collection = collection_field()
    languages = fields.List(
        fields.String(validate=validate.Regexp(LANGUAGE_CODE, error="Not a language code.")),
        load_default=None, validate=validate.Length(min=1, max=10), metadata={
            "description": "Preferred transcript languages in order (default "
                           "DIA3_YOUTUBE_LANGUAGES)"})
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=500))
    summary_sentences = fields.Integer(load_default=5, validate=validate.Range(1, 20))
    window_seconds = fields.Float(load_default=None, validate=validate.Range(1, 3600),
                                  metadata={"description": "Width of a sentiment timeline "
                                                           "point (default: automatic)"})

    @post_load
    def _video_id(self, data, **kwargs) -> dict:
        with as_validation_error():
            data["video_id"] = parse_video_id(data["video"])
        return data


def build(plan: Plan, params: dict):
    name = params["collection"]
    existing_collection(plan.tenant, name)
    return chain(
        plan.step(steps.YOUTUBE_TRANSCRIPT, "transcript", params["video_id"],
                  params["languages"]),
        chord(group([
            plan.step(steps.YOUTUBE_INDEX, "index", tenant=plan.tenant, collection=name,
                      title=params["title"], fan_in=True),
            plan.step(steps.YOUTUBE_ANALYSE, "analyse", tenant=plan.tenant, collection=name,
                      summary_sentences=params["summary_sentences"],
                      window_seconds=params["window_seconds"], fan_in=True),
        ]), plan.step(steps.YOUTUBE_REPORT, "report", collection=name)),
    )


register(Workflow(name="youtube",
                  description="A YouTube video's transcript into a knowledge-base collection "
                              "(timed chunks), with a sentiment timeline and an extractive "
                              "summary; YouTube requests share one rate limit across workers.",
                  schema=YouTubeParams, build=build,
                  steps=(steps.YOUTUBE_TRANSCRIPT, steps.YOUTUBE_INDEX, steps.YOUTUBE_ANALYSE,
                         steps.YOUTUBE_REPORT), category="knowledge", examples=YOUTUBE,
                  result_types={"video_id": "string", "collection": "string",
                                "segments": "integer", "duration_seconds": "number",
                                "summary": "array<object>", "summary[*].text": "array<string>",
                                "summary[*].start": "array<number>"}))
