"""Train the sentiment artefact ``data/sentiment.npz`` and write the evaluation report into docs/text.md.

Usage: ``python -m cxloop.core.text.train [--data DIR] [--out PATH] [--docs PATH] [--no-docs]``

Data (``--data``, default ``<repo>/../shared/data/sentiment`` or ``$CXLOOP_SENTIMENT_DATA``):

* ``zh_waimai_10k.csv`` — columns ``label,review`` (1 positive, 0 negative), Chinese food-delivery
  reviews, waimai_10k from ChineseNlpCorpus (SophonPlus);
* ``en_amazon_cells.tsv``, ``en_yelp.tsv`` — ``text<TAB>label``, the UCI "Sentiment Labelled
  Sentences" (Kotzias, Denil, de Freitas & Smyth, "From Group to Individual Labels using Deep
  Features", KDD 2015).

Split (fixed, never trained on): a row is held out when the first 8 hex digits of
SHA-256(``"cxloop-sentiment-split-v1:" + text``) taken as an integer are ``< 0.2 · 16⁸``
(:func:`is_held_out`) — 20 % of each corpus, the same for identical texts (no duplicate leaks across).

Training, on the training part only: features as in :mod:`cxloop.core.text.sentiment`; L2-regularised
logistic regression (mean log-loss + λ/2·‖w‖², bias not regularised) minimised by L-BFGS in numpy
(deterministic: no randomness at all). λ is chosen per language by 5-fold cross-validation on the
training part (folds also by text hash), then the model is refitted on the whole training part and
evaluated once on the held-out part.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxloop.core.text import sentiment as sm

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "sentiment"
DEFAULT_DOCS = REPO_ROOT / "docs" / "text.md"
SPLIT_SALT = "cxloop-sentiment-split-v1:"
HELD_OUT_SHARE = 0.2
FOLDS = 5
LAMBDAS = (1e-5, 3e-5, 1e-4)
RESULTS_BEGIN = "<!-- results:begin (written by python -m cxloop.core.text.train) -->"
RESULTS_END = "<!-- results:end -->"


@dataclass(frozen=True)
class Example:
    """One labelled comment: ``label`` 1 positive, 0 negative; ``source`` the corpus file name."""

    text: str
    label: int
    source: str


def data_dir() -> Path:
    """``$CXLOOP_SENTIMENT_DATA`` or the shared data folder beside the repository."""
    return Path(os.environ.get("CXLOOP_SENTIMENT_DATA") or DEFAULT_DATA)


def _text_hash(text: str) -> int:
    return int(hashlib.sha256((SPLIT_SALT + text).encode("utf-8")).hexdigest()[:8], 16)


def is_held_out(text: str) -> bool:
    """True for the fixed 20 % held-out split (see module doc)."""
    return _text_hash(text) < int(HELD_OUT_SHARE * 16**8)


def fold_of(text: str) -> int:
    """Cross-validation fold (0..FOLDS-1) of a training text (independent bits of the same hash)."""
    return int(hashlib.sha256(("cxloop-sentiment-fold-v1:" + text).encode("utf-8")).hexdigest()[:8], 16) % FOLDS


def load_zh(folder: Path) -> list[Example]:
    """waimai_10k rows (``label,review``); rows without text are skipped."""
    out: list[Example] = []
    with (folder / "zh_waimai_10k.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("review") or "").strip()
            if text and row.get("label") in ("0", "1"):
                out.append(Example(text, int(row["label"]), "zh_waimai_10k.csv"))
    return out


def load_en(folder: Path) -> list[Example]:
    """Amazon + Yelp sentences (``text<TAB>label``)."""
    out: list[Example] = []
    for name in ("en_amazon_cells.tsv", "en_yelp.tsv"):
        with (folder / name).open(encoding="utf-8", newline="") as f:
            for i, line in enumerate(f):
                parts = line.rstrip("\r\n").rsplit("\t", 1)
                if i == 0 and parts[-1] == "label":
                    continue
                if len(parts) == 2 and parts[1].strip() in ("0", "1") and parts[0].strip():
                    out.append(Example(parts[0].strip(), int(parts[1]), name))
    return out


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(training, held-out)."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if is_held_out(ex.text) else train).append(ex)
    return train, test


# --- sparse design matrix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """CSR-like matrix of L2-normalised binary hashed features."""

    rows: np.ndarray  # row id of each non-zero
    cols: np.ndarray
    vals: np.ndarray
    n: int

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=w[self.cols] * self.vals, minlength=self.n)

    def tdot(self, g: np.ndarray) -> np.ndarray:
        return np.bincount(self.cols, weights=self.vals * g[self.rows], minlength=sm.DIM)

    def subset(self, mask: np.ndarray) -> Design:
        keep = mask[self.rows]
        new_id = np.cumsum(mask) - 1
        return Design(new_id[self.rows[keep]], self.cols[keep], self.vals[keep], int(mask.sum()))


def design(texts: Sequence[str], language: str) -> Design:
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for i, text in enumerate(texts):
        idx, _ = sm.features(text, language)
        if idx.size:
            rows.append(np.full(idx.size, i, dtype=np.int64))
            cols.append(idx)
            vals.append(np.full(idx.size, 1.0 / np.sqrt(idx.size)))
    return Design(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), len(texts))


# --- logistic regression by L-BFGS ---------------------------------------------------------------


def _loss_grad(x: Design, y: np.ndarray, lam: float, theta: np.ndarray) -> tuple[float, np.ndarray]:
    w, b = theta[:-1], theta[-1]
    z = x.dot(w) + b
    # log(1 + e^z) - y z, stable
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z)) + 0.5 * lam * float(w @ w)
    p = 0.5 * (1.0 + np.tanh(0.5 * z))
    g = (p - y) / x.n
    grad = np.empty_like(theta)
    grad[:-1] = x.tdot(g) + lam * w
    grad[-1] = g.sum()
    return loss, grad


def lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray, iters: int = 300, m: int = 10
) -> np.ndarray:
    """Minimise a smooth convex ``fun`` (returning value, gradient) by L-BFGS with Armijo backtracking."""
    f, g = fun(theta)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(iters):
        q = g.copy()
        alphas: list[float] = []
        for s, yv in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = float(s @ q) / float(yv @ s)
            alphas.append(a)
            q -= a * yv
        if s_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        for (s, yv), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            beta = float(yv @ q) / float(yv @ s)
            q += (a - beta) * s
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:
            direction, slope = -g, -float(g @ g)
            s_hist.clear()
            y_hist.clear()
        step = 1.0
        while True:
            new = theta + step * direction
            f_new, g_new = fun(new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s_vec, y_vec = new - theta, g_new - g
        if float(s_vec @ y_vec) > 1e-12:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > m:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) < 1e-9 * max(1.0, abs(f))
        theta, f, g = new, f_new, g_new
        if converged:
            break
    return theta


def fit(x: Design, y: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
    theta = np.zeros(sm.DIM + 1)
    theta = lbfgs(lambda t: _loss_grad(x, y, lam, t), theta)
    return theta[:-1], float(theta[-1])


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Two-class metrics at p = 0.5: accuracy, macro-F1, confusion [[TN, FP], [FN, TP]], n."""

    accuracy: float
    macro_f1: float
    confusion: tuple[tuple[int, int], tuple[int, int]]
    n: int


def scores(y: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray) -> Scores:
    ya, pa = np.asarray(y, dtype=int), np.asarray(pred, dtype=int)
    tn = int(((ya == 0) & (pa == 0)).sum())
    fp = int(((ya == 0) & (pa == 1)).sum())
    fn = int(((ya == 1) & (pa == 0)).sum())
    tp = int(((ya == 1) & (pa == 1)).sum())

    def f1(tp_: int, fp_: int, fn_: int) -> float:
        return 2 * tp_ / (2 * tp_ + fp_ + fn_) if tp_ else 0.0

    n = len(ya)
    return Scores((tp + tn) / n if n else 0.0, (f1(tp, fp, fn) + f1(tn, fn, fp)) / 2, ((tn, fp), (fn, tp)), n)


def cross_validate(texts: Sequence[str], y: np.ndarray, x: Design, lambdas: Sequence[float]) -> dict[float, float]:
    folds = np.array([fold_of(t) for t in texts])
    out: dict[float, float] = {}
    for lam in lambdas:
        correct = 0
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            w, b = fit(x.subset(tr), y[tr], lam)
            z = x.subset(te).dot(w) + b
            correct += int(((z > 0).astype(int) == y[te]).sum())
        out[lam] = correct / len(texts)
        print(f"  cv lambda={lam:g}: accuracy {out[lam]:.4f}", file=sys.stderr)
    return out


def _report(results: dict[str, dict[str, object]]) -> str:
    lines = [
        RESULTS_BEGIN,
        "",
        "| language | held-out n | accuracy | macro-F1 | neutral-band share | CV λ (5-fold, training part) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for fam, r in results.items():
        lines.append(
            f"| {fam} | {r['n']} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | {r['neutral_share']:.3f} "
            f"| {r['lambda']:g} (CV accuracy {r['cv_accuracy']:.4f}) |"
        )
    lines.append("")
    for fam, r in results.items():
        confusion = r["confusion"]
        assert isinstance(confusion, tuple)
        (tn, fp), (fn, tp) = confusion
        lines += [
            f"Confusion matrix, {fam} (rows: true label, columns: predicted at p = 0.5):",
            "",
            "| | predicted negative | predicted positive |",
            "| --- | --- | --- |",
            f"| negative | {tn} | {fp} |",
            f"| positive | {fn} | {tp} |",
            "",
        ]
    lines.append(RESULTS_END)
    return "\n".join(lines)


def write_docs(path: Path, report: str) -> None:
    """Replace the results block of ``path`` (between the markers) with ``report``."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"{RESULTS_BEGIN}\n{RESULTS_END}\n"
    begin, end = text.find(RESULTS_BEGIN), text.find(RESULTS_END)
    if begin < 0 or end < 0:
        text = text.rstrip("\n") + "\n\n" + report + "\n"
    else:
        text = text[:begin] + report + text[end + len(RESULTS_END) :]
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=sm.MODEL_PATH)
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--lambdas", default=",".join(f"{lam:g}" for lam in LAMBDAS))
    args = parser.parse_args(argv)
    folder = args.data or data_dir()
    lambdas = [float(v) for v in args.lambdas.split(",")]
    started = time.perf_counter()
    arrays: dict[str, np.ndarray] = {"dim": np.array(sm.DIM), "feature_version": np.array(sm.FEATURE_VERSION)}
    results: dict[str, dict[str, object]] = {}
    for fam, language, examples in (("zh", "zh-hans", load_zh(folder)), ("en", "en", load_en(folder))):
        train, test = split(examples)
        print(f"{fam}: {len(train)} training, {len(test)} held out", file=sys.stderr)
        texts = [ex.text for ex in train]
        y = np.array([ex.label for ex in train], dtype=float)
        x = design(texts, language)
        cv = cross_validate(texts, y, x, lambdas)
        lam = max(cv, key=lambda k: (cv[k], -k))
        w, b = fit(x, y, lam)
        arrays[f"{fam}_w"] = w.astype(np.float32)
        arrays[f"{fam}_b"] = np.array(b)
        xt = design([ex.text for ex in test], language)
        z = xt.dot(w.astype(np.float32).astype(np.float64)) + b
        s = scores([ex.label for ex in test], (z > 0).astype(int))
        p = 1 / (1 + np.exp(-z))
        neutral_share = float((np.abs(2 * p - 1) < sm.NEUTRAL_BAND).mean())
        results[fam] = {
            "n": s.n,
            "accuracy": s.accuracy,
            "macro_f1": s.macro_f1,
            "confusion": s.confusion,
            "neutral_share": neutral_share,
            "lambda": lam,
            "cv_accuracy": cv[lam],
        }
        print(json.dumps({"language": fam, **results[fam]}), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {seconds:.1f}s", file=sys.stderr)
    if not args.no_docs:
        write_docs(args.docs, _report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
