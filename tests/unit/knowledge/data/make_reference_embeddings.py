"""Regenerate minilm_reference_embeddings.json with the reference implementation.

Run once, in a throwaway virtualenv holding sentence-transformers and a CPU build of torch,
offline, pointing at the folder of the packaged all-MiniLM-L6-v2 model:

    HF_HUB_OFFLINE=1 python make_reference_embeddings.py MODEL_DIR OUTPUT_JSON

The project itself never imports torch or sentence-transformers.
"""

import json
import platform
import sys

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG_TEXT = " ".join(
    f"Paragraph {i} describes how the warehouse robots recharge their batteries overnight "
    f"and report their status to the fleet controller."
    for i in range(30)
)
SENTENCES = [
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog.",
    "Celery distributes tasks across a pool of worker processes.",
    "How do I reset my password if I forgot it?",
    "Photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen.",
    "The stock market fell sharply after the central bank raised interest rates.",
    "Ich habe heute keine Zeit, morgen vielleicht.",
    "Café crème, naïve façade and jalapeño — unicode should survive tokenisation!",
    "ERROR 503: upstream service unavailable (retry in 30s)",
    "x",
    "Vector databases index embeddings so that nearest-neighbour search stays fast even "
    "with millions of documents, which matters for retrieval-augmented generation.",
    LONG_TEXT,  # longer than the model's 256-token limit: checks truncation
]


def main(model_dir: str, output: str) -> None:
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True)
    document = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "generated_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "max_seq_length": model.max_seq_length,
        },
        "items": [
            {"text": text, "embedding": [round(float(x), 7) for x in vector]}
            for text, vector in zip(SENTENCES, vectors, strict=True)
        ],
    }
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
