"""End to end with the real local model (all-MiniLM-L6-v2 on onnxruntime): documents ingested
by workers are found by questions that share almost no words with them."""

from tests.integration.kb_helpers import collection, create_collection, ingest, search, text_doc

PASSAGES = {
    "leave": "Employees receive twenty-five days of paid holiday each year, and unused days "
             "may be carried over until the end of March.",
    "security": "Passwords must be rotated every ninety days and multi-factor authentication "
                "is mandatory for remote access to company systems.",
    "expenses": "Travel costs are reimbursed when receipts are submitted within thirty days "
                "through the finance portal.",
    "parking": "The car park behind building B is reserved for visitors and staff with "
               "reduced mobility.",
}
QUESTIONS = {
    "how much vacation time do I get": "leave",
    "what login protection is required when working from home": "security",
    "how do I get my money back for a business trip": "expenses",
    "where can guests leave their vehicles": "parking",
}


def test_paraphrased_questions_find_their_passage_with_the_local_model(analyst, worker):
    name = create_collection(analyst, embedder="local")
    assert collection(analyst, name)["embedder"] == "local:all-MiniLM-L6-v2"
    assert collection(analyst, name)["dimension"] == 384
    _, result = ingest(analyst, name, [text_doc(text, document_id=doc_id, title=doc_id)
                                       for doc_id, text in PASSAGES.items()], timeout=240)
    assert result["totals"]["ingested"] == len(PASSAGES)

    for question, expected in QUESTIONS.items():
        hits = search(analyst, name, question, k=len(PASSAGES))
        assert hits[0]["document_id"] == expected, (question, hits[0])
        assert hits[0]["score"] > hits[1]["score"] + 0.05

    mismatch = analyst.post(f"/api/v1/collections/{name}/search",
                            json={"query": "vacation", "embedder": "hashing"})
    assert mismatch.status_code == 409
