"""Topic discovery on the AG News development half: NMI, ARI and accuracy after the best
one-to-one matching of topics to labels, and the end-to-end time.

    python -m benchmarks.topics [--seeds 0 1 2 3 4] [--limit N] [--threads 1]
        [--data-dir DIR]

The data folder holds half of the AG News test split (3,800 texts, 4 labels); the other
half is held out. The half at hand is split once more by id: even ids (part A) are the part
the method's settings were chosen on, odd ids (part B) were never looked at while tuning;
both are reported, from the clustering of all texts and from each part clustered alone.
End to end is the local embedder (one thread, as a worker runs it) over every text plus
``find_topics`` with ``k = 4``. Baselines in the same run: k-means on the embeddings alone
and on the TF-IDF/LSA view alone, and ``k = auto`` (HDBSCAN). The data directory defaults
to $DIA3_TOPICS_DIR, else ../shared/data/topics relative to the repository root.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits

from benchmarks.report import print_table, save
from workers.topics.engine import find_topics
from workers.topics.engine.clustering import N_INIT
from workers.topics.engine.features import lsa

ROOT = Path(__file__).resolve().parent.parent
K = 4


def default_data_dir() -> Path:
    env = os.environ.get("DIA3_TOPICS_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "topics").resolve()


def load(data_dir: Path, limit: int | None) -> tuple[list[str], list[str], np.ndarray]:
    """(texts, labels, part A mask) in file order."""
    with (data_dir / "ag_news_dev.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return ([r["text"] for r in rows], [r["label"] for r in rows],
            np.array([int(r["id"]) % 2 == 0 for r in rows]))


def accuracy(truth: Sequence[str], found: Sequence[int]) -> float:
    """Share of texts whose topic is matched to their label by the best one-to-one
    matching (Hungarian); outliers (-1) and unmatched topics count as wrong."""
    labels, topics = sorted(set(truth)), sorted(set(found) - {-1})
    table = np.zeros((len(topics), len(labels)))
    for t, f in zip(truth, found, strict=True):
        if f != -1:
            table[topics.index(f), labels.index(t)] += 1
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(truth))


def scores(truth: Sequence[str], found: Sequence[int]) -> dict[str, float]:
    return {"nmi": float(normalized_mutual_info_score(truth, found)),
            "ari": float(adjusted_rand_score(truth, found)), "acc": accuracy(truth, found)}


def subset(values: Sequence, mask: np.ndarray) -> list:
    return [v for v, keep in zip(values, mask, strict=True) if keep]


def embed(texts: list[str], threads: int) -> tuple[np.ndarray, float, float]:
    """(vectors, wall seconds, CPU seconds) of the local embedder over ``texts``."""
    from app.workflows.knowledge.embeddings import make_embedder
    embedder = make_embedder("local", threads=threads)
    embedder.warm_up()  # building the graph once per host is not part of a job
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    return vectors, time.perf_counter() - wall, time.process_time() - cpu


def timed(run: Callable[[], dict]) -> tuple[dict, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def kmeans_only(features: np.ndarray, seed: int) -> list[int]:
    return KMeans(K, n_init=N_INIT, random_state=seed).fit_predict(features).tolist()


def summary(name: str, per_seed: list[dict[str, float]]) -> dict:
    out: dict = {"method": name, "seeds": len(per_seed)}
    for metric in ("nmi", "ari", "acc"):
        values = [s[metric] for s in per_seed]
        out[metric] = statistics.fmean(values)
        out[f"{metric}_worst"] = min(values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args()
    texts, truth, part_a = load(args.data_dir, args.limit)
    vectors, embed_wall, embed_cpu = embed(texts, args.threads)

    runs: dict[str, list[dict]] = {key: [] for key in (
        "all", "A (tune)", "B (check)", "A alone", "B alone", "embeddings only", "LSA only")}
    cluster_times = []
    for seed in args.seeds:
        result, wall, cpu = timed(lambda s=seed: find_topics(texts, vectors, k=K, seed=s,
                                                             threads=args.threads))
        cluster_times.append((wall, cpu))
        found = result["assignments"]
        runs["all"].append(scores(truth, found))
        runs["A (tune)"].append(scores(subset(truth, part_a), subset(found, part_a)))
        runs["B (check)"].append(scores(subset(truth, ~part_a), subset(found, ~part_a)))
        for name, mask in (("A alone", part_a), ("B alone", ~part_a)):
            alone = find_topics(subset(texts, mask), vectors[mask], k=K, seed=seed,
                                threads=args.threads)
            runs[name].append(scores(subset(truth, mask), alone["assignments"]))
        with threadpool_limits(args.threads):
            runs["embeddings only"].append(scores(truth, kmeans_only(vectors, seed)))
            runs["LSA only"].append(scores(truth, kmeans_only(lsa(texts, seed), seed)))
    auto, auto_wall, _ = timed(lambda: find_topics(texts, vectors, k="auto", seed=0,
                                                   threads=args.threads))
    auto_scores = {**summary("auto (HDBSCAN), all", [scores(truth, auto["assignments"])]),
                   "topics": auto["k"], "outliers": auto["outliers"]}

    rows = [summary(f"k={K}, {name}" if name in ("embeddings only", "LSA only")
                    else f"embeddings+LSA k={K}, {name}", values)
            for name, values in runs.items()] + [auto_scores]
    print_table(f"Topics on AG News ({len(texts)} texts, seeds {args.seeds}; mean, worst)",
                ["method", "NMI", "worst", "ARI", "ACC", "worst ACC"],
                [[r["method"], r["nmi"], r["nmi_worst"], r["ari"], r["acc"], r["acc_worst"]]
                 for r in rows])
    print(f"  auto found {auto['k']} topics and {auto['outliers']} outliers "
          f"in {auto_wall:.1f} s")
    cluster_wall = statistics.fmean(w for w, _ in cluster_times)
    cluster_cpu = statistics.fmean(c for _, c in cluster_times)
    timing = {"texts": len(texts), "threads": args.threads, "embed_wall_s": embed_wall,
              "embed_cpu_s": embed_cpu, "topics_wall_s": cluster_wall,
              "topics_cpu_s": cluster_cpu, "end_to_end_wall_s": embed_wall + cluster_wall,
              "end_to_end_cpu_s": embed_cpu + cluster_cpu, "target_s": 60,
              "load_average": os.getloadavg()[0]}
    print_table("End to end (local embedder + find_topics, k=4)", list(timing),
                [list(timing.values())])
    save("topics", {"data": str(args.data_dir.name), "seeds": args.seeds, "k": K,
                    "results": rows, "timing": timing})


if __name__ == "__main__":
    main()
