#!/usr/bin/env python3
"""Benchmark: the shipped sentiment artefact (src/cxloop/core/text/data/sentiment.npz) on the fixed held-out
splits, and single-core throughput of language detection + tokenising + sentiment.

For each language family (zh: 20 % of waimai_10k; en: 20 % of Amazon + Yelp sentences, see
cxloop.core.text.train) one JSON line: accuracy and macro-F1 of ``probability()`` at 0.5 (the full
pipeline: model + lexicon layer with the artefact's tuned parameters; language given). That is the sign
of the score: a comment is never counted right or wrong for being neutral, and one with no
sentiment-bearing token (p undefined) counts as predicted negative. Also the confusion matrix, the share
that ``analyse()`` labels neutral, and the accuracy of ``analyse()``'s positive / negative labels on the
comments it does not label neutral (``decided_accuracy``): the neutral band and the neutral-phrase rule
only move comments into or out of that set, they never change the first accuracy. Then one JSON line
with throughput: ``detect`` + ``analyse`` (which tokenises) over all held-out comments, repeated
``--rounds`` times, after a warm-up (jieba and the model loaded), in this process (one core): wall
clock and this process's CPU time (``comments_per_cpu_s``, the per-core figure that does not depend on
how many other processes share the machine).

Usage: benchmarks/text_eval.py [--data DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cxloop.core.text import analyse, detect  # noqa: E402
from cxloop.core.text import train as tr  # noqa: E402
from cxloop.core.text.sentiment import MODEL_PATH, model, probability  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = args.data or tr.data_dir()
    all_texts: list[str] = []
    for fam, language, examples in (("zh", "zh-hans", tr.load_zh(folder)), ("en", "en", tr.load_en(folder))):
        _, test = tr.split(examples)
        probs = [probability(ex.text, language) for ex in test]
        pred = [int((p if p is not None else 0.5) > 0.5) for p in probs]
        s = tr.scores([ex.label for ex in test], pred)
        labels = [analyse(ex.text, language).label for ex in test]
        neutral = labels.count("neutral") / len(test)
        decided = [
            (label == "positive") == bool(ex.label)
            for label, ex in zip(labels, test, strict=True)
            if label != "neutral"
        ]
        params = model().lexicon[fam]
        print(
            json.dumps(
                {
                    "bench": "text_sentiment_held_out",
                    "language": fam,
                    "n": s.n,
                    "accuracy": round(s.accuracy, 4),
                    "macro_f1": round(s.macro_f1, 4),
                    "confusion_tn_fp_fn_tp": [*s.confusion[0], *s.confusion[1]],
                    "neutral_share": round(neutral, 4),
                    "decided_accuracy": round(sum(decided) / len(decided), 4),
                    "lexicon": [params.negated_weight, params.plain_weight, params.mask_negated_positive],
                }
            )
        )
        all_texts += [ex.text for ex in test]
    for text in all_texts[:50]:
        analyse(text, detect(text))
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for text in all_texts:
            analyse(text, detect(text))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    n = len(all_texts) * args.rounds
    print(
        json.dumps(
            {
                "bench": "text_throughput",
                "comments": n,
                "seconds": round(elapsed, 3),
                "comments_per_s": round(n / elapsed),
                "cpu_seconds": round(cpu, 3),
                "comments_per_cpu_s": round(n / cpu),
                "mean_chars": round(sum(map(len, all_texts)) / len(all_texts), 1),
                "artefact_bytes": MODEL_PATH.stat().st_size,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
