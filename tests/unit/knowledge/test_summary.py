"""Extractive transcript summaries keep the central sentences and their timestamps."""

from __future__ import annotations

import pytest

from app.workflows.knowledge.errors import InputError
from workers.knowledge.engine.chunking import TimedSegment
from workers.knowledge.engine.summary import split_sentences, summarize_segments, summarize_text
from workers.knowledge.engine.youtube import TranscriptFetcher

from .youtube_replay import replay_session

LECTURE = [
    TimedSegment("Today we look at how solar panels", 0.0, 2.0),
    TimedSegment("turn sunlight into electricity.", 2.0, 4.0),
    TimedSegment("Solar panels are made of silicon cells that absorb sunlight.", 4.0, 8.0),
    TimedSegment("By the way, my cat knocked a plant off the shelf this morning.", 8.0, 12.0),
    TimedSegment("When sunlight hits the silicon cells, electrons flow and", 12.0, 15.0),
    TimedSegment("produce electricity for the house.", 15.0, 17.0),
    TimedSegment("An inverter converts the electricity from the solar panels", 17.0, 20.0),
    TimedSegment("so that household devices can use it.", 20.0, 22.0),
    TimedSegment("Thanks for watching and see you next week.", 22.0, 25.0),
]


def test_sentences_are_rebuilt_across_caption_lines_with_times() -> None:
    sentences = split_sentences(LECTURE)
    assert sentences[0] == TimedSegment(
        "Today we look at how solar panels turn sunlight into electricity.", 0.0, 4.0)
    assert sentences[3].start == 12.0 and sentences[3].end == 17.0
    assert len(sentences) == 6


def test_unpunctuated_captions_are_cut_by_length() -> None:
    words = [TimedSegment(f"word{i}", float(i), float(i + 1)) for i in range(25)]
    sentences = split_sentences(words, max_words=10)
    assert [len(s.text.split()) for s in sentences] == [10, 10, 5]
    assert (sentences[1].start, sentences[1].end) == (10.0, 20.0)


@pytest.mark.parametrize("embedder_name", ["local_embedder", "hashing_embedder"])
def test_summary_prefers_central_sentences(request, embedder_name) -> None:
    embedder = request.getfixturevalue(embedder_name)
    keys = summarize_segments(LECTURE, embedder, max_sentences=3)

    assert len(keys) == 3
    assert [k.position for k in keys] == sorted(k.position for k in keys)
    assert not any("cat" in k.text for k in keys)
    assert all("sunlight" in k.text or "electricity" in k.text for k in keys)
    for key in keys:
        assert key.start is not None and key.end is not None and key.start < key.end
    assert set(keys[0].to_dict()) == {"text", "start", "end", "score", "position"}


def test_summary_of_a_fetched_transcript() -> None:
    from app.workflows.knowledge.embeddings.hashing import HashingEmbedder

    session, _ = replay_session()
    transcript = TranscriptFetcher(session).fetch("GJLlxj_dtq8")
    keys = summarize_segments(transcript.segments, HashingEmbedder(), max_sentences=1)
    assert len(keys) == 1
    assert keys[0].start is not None and keys[0].text in " ".join(
        s.text for s in transcript.segments)


def test_untimed_text_summary(hashing_embedder) -> None:
    text = " ".join(segment.text for segment in LECTURE)
    keys = summarize_text(text, hashing_embedder, max_sentences=2)
    assert len(keys) == 2 and all(k.start is None for k in keys)


def test_summary_edge_cases(hashing_embedder) -> None:
    assert summarize_segments([], hashing_embedder) == []
    short = summarize_segments([TimedSegment("Hi.", 0.0, 1.0)], hashing_embedder)
    assert [k.text for k in short] == ["Hi."]
    with pytest.raises(InputError):
        summarize_segments(LECTURE, hashing_embedder, max_sentences=0)
