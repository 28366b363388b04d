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
training part (folds also by text hash), then the model is refitted on the whole training part.

Lexicon layer (:func:`tune_lexicon`), also on the training part only: with the fold models of the
chosen λ, every training comment gets out-of-fold model logits (its fold's model never saw it) for both
masking variants of :func:`sentiment.valence_shift`, and its lexicon counts; the layer's logit is then
linear in its two weights, so the whole grid (:data:`LEXICON_WEIGHTS` × :data:`LEXICON_WEIGHTS` × mask
negated positives or not) is scored from those cached numbers. The parameters with the best
cross-validated accuracy are kept among those under which every acceptance phrase
(``data/sentiment_phrases.tsv``) passes with the final model; ties go to the smaller total weight.

Finally the model alone and the full pipeline are evaluated once on the held-out part; the report (CV
tables, held-out figures) replaces the results block of docs/text.md.
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
from cxloop.core.text.tokens import is_chinese, normalise, tokenize_normalised

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "sentiment"
DEFAULT_DOCS = REPO_ROOT / "docs" / "text.md"
SPLIT_SALT = "cxloop-sentiment-split-v1:"
HELD_OUT_SHARE = 0.2
FOLDS = 5
LAMBDAS = (1e-5, 3e-5, 1e-4)
LEXICON_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
PHRASES_PATH = sm.DATA_DIR / "sentiment_phrases.tsv"
NOT_NEGATIVE = "not-negative"
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


FoldModels = list[tuple[np.ndarray, float]]


def cross_validate(
    texts: Sequence[str], y: np.ndarray, x: Design, lambdas: Sequence[float]
) -> tuple[dict[float, float], dict[float, FoldModels]]:
    """CV accuracy of the model alone per λ, and the fold models (fold k: trained without fold k)."""
    folds = np.array([fold_of(t) for t in texts])
    out: dict[float, float] = {}
    models: dict[float, FoldModels] = {}
    for lam in lambdas:
        correct = 0
        models[lam] = []
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            w, b = fit(x.subset(tr), y[tr], lam)
            models[lam].append((w.astype(np.float32), b))
            z = x.subset(te).dot(w) + b
            correct += int(((z > 0).astype(int) == y[te]).sum())
        out[lam] = correct / len(texts)
        print(f"  cv lambda={lam:g}: accuracy {out[lam]:.4f}", file=sys.stderr)
    return out, models


# --- lexicon layer: parameters by cross-validation on out-of-fold model logits ---------------------


def load_phrases(path: Path = PHRASES_PATH) -> dict[str, list[tuple[str, str]]]:
    """Acceptance phrases per family: (text, expected label or ``"not-negative"``)."""
    out: dict[str, list[tuple[str, str]]] = {"zh": [], "en": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            family, expected, text = line.split("\t", 2)
            out[family].append((text, expected))
    return out


def phrase_failures(phrases: Sequence[tuple[str, str]], m: sm.Model) -> list[tuple[str, str, str]]:
    """(text, expected, got) of the acceptance phrases that ``analyse`` (language detected) gets wrong."""
    failures: list[tuple[str, str, str]] = []
    for text, expected in phrases:
        got = sm.analyse(text, m=m).label
        if (got == "negative") if expected == NOT_NEGATIVE else (got != expected):
            failures.append((text, expected, got))
    return failures


@dataclass(frozen=True)
class OutOfFold:
    """Per training comment: label, out-of-fold model logit of the text the model sees under each
    masking variant (NaN when no content token is left, i.e. the lexicon alone decides), lexicon counts
    (:func:`sentiment.shift_counts`), and whether it has no sentiment-bearing token at all."""

    y: np.ndarray
    z_mask_all: np.ndarray  # negated positive and negative words masked
    z_mask_negative: np.ndarray  # negated negative words masked
    negated: np.ndarray
    plain: np.ndarray
    empty: np.ndarray

    def correct(self, params: sm.LexiconParams) -> np.ndarray:
        """Per comment: is the pipeline's prediction (p > 0.5, as benchmarks/text_eval.py) right?"""
        z = self.z_mask_all if params.mask_negated_positive else self.z_mask_negative
        delta = params.negated_weight * self.negated + params.plain_weight * self.plain
        logit = np.where(np.isnan(z), delta, z + delta)
        pred = np.where(self.empty, 0, (logit > 0).astype(int))
        return np.asarray(pred == self.y)


def out_of_fold(
    texts: Sequence[str], y: np.ndarray, language: str, fold_models: FoldModels, other: tuple[np.ndarray, float]
) -> OutOfFold:
    """The cached out-of-fold numbers of :class:`OutOfFold`. ``other``: the other family's final model (the
    en model scores the Latin words of mixed Chinese text)."""
    chinese = is_chinese(language)
    fam, other_fam = ("zh", "en") if chinese else ("en", "zh")
    models = [sm.with_weights({fam: w, other_fam: other[0]}, {fam: b, other_fam: other[1]}, {}) for w, b in fold_models]
    polarity = models[0].polarity[fam]
    n = len(texts)
    z_all, z_neg = np.full(n, np.nan), np.full(n, np.nan)
    negated, plain, empty = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for i, text in enumerate(texts):
        m = models[fold_of(text)]
        norm = normalise(text, language)
        tokens = tokenize_normalised(norm, chinese)
        if not tokens:
            empty[i] = True
            continue
        shifted, hits = sm.lexicon_hits(norm, tokens, polarity, chinese)
        negated[i], plain[i] = sm.shift_counts(hits)
        for mask_positive, out in ((True, z_all), (False, z_neg)):
            masked = sm.mask_hits(norm, shifted, hits, mask_positive)
            z = sm.model_logit(masked, language, m, tokens if masked is norm else None)
            out[i] = np.nan if z is None else z
    return OutOfFold(y.astype(int), z_all, z_neg, negated, plain, empty)


@dataclass(frozen=True)
class LexiconTuning:
    """CV accuracy per candidate (in grid order), the chosen parameters, and the better-scoring candidates
    rejected for failing acceptance phrases (with their failures)."""

    grid: dict[sm.LexiconParams, float]
    chosen: sm.LexiconParams
    rejected: list[tuple[sm.LexiconParams, float, list[tuple[str, str, str]]]]


def tune_lexicon(oof: OutOfFold, admissible: Callable[[sm.LexiconParams], list[tuple[str, str, str]]]) -> LexiconTuning:
    """Grid search on the cached out-of-fold logits; ``admissible`` returns a candidate's phrase failures."""
    grid = {
        sm.LexiconParams(wn, wp, mask): float(oof.correct(sm.LexiconParams(wn, wp, mask)).mean())
        for mask in (True, False)
        for wn in LEXICON_WEIGHTS
        for wp in LEXICON_WEIGHTS
    }
    ranked = sorted(
        grid,
        key=lambda c: (-round(grid[c] * len(oof.y)), c.negated_weight + c.plain_weight, not c.mask_negated_positive),
    )
    rejected: list[tuple[sm.LexiconParams, float, list[tuple[str, str, str]]]] = []
    for candidate in ranked:
        failures = admissible(candidate)
        if not failures:
            return LexiconTuning(grid, candidate, rejected)
        rejected.append((candidate, grid[candidate], failures))
    raise RuntimeError("no lexicon parameters pass the acceptance phrases")


def _params_text(c: sm.LexiconParams) -> str:
    masked = "negated positive and negative words" if c.mask_negated_positive else "negated negative words only"
    return f"negated weight {c.negated_weight:g}, plain weight {c.plain_weight:g}, masking {masked}"


def _report(results: dict[str, dict[str, object]], tunings: dict[str, LexiconTuning]) -> str:
    lines = [
        RESULTS_BEGIN,
        "",
        "Held-out split (never trained on, never tuned on), prediction p > 0.5:",
        "",
        "| language | held-out n | model alone: accuracy / macro-F1 | model + lexicon layer: accuracy / macro-F1 "
        "| neutral-band share (model alone) | CV λ (5-fold, training part) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for fam, r in results.items():
        lines.append(
            f"| {fam} | {r['n']} | {r['accuracy']:.4f} / {r['macro_f1']:.4f} "
            f"| {r['pipeline_accuracy']:.4f} / {r['pipeline_macro_f1']:.4f} | {r['neutral_share']:.3f} "
            f"| {r['lambda']:g} (CV accuracy {r['cv_accuracy']:.4f}) |"
        )
    lines.append("")
    for fam, r in results.items():
        for key, title in (("confusion", "model alone"), ("pipeline_confusion", "model + lexicon layer")):
            confusion = r[key]
            assert isinstance(confusion, tuple)
            (tn, fp), (fn, tp) = confusion
            lines += [
                f"Confusion matrix, {fam}, {title} (rows: true label, columns: predicted at p = 0.5):",
                "",
                "| | predicted negative | predicted positive |",
                "| --- | --- | --- |",
                f"| negative | {tn} | {fp} |",
                f"| positive | {fn} | {tp} |",
                "",
            ]
    lines += [
        "Lexicon layer parameters, 5-fold CV accuracy on the training part (out-of-fold model logits at the "
        "chosen λ; prediction p > 0.5):",
        "",
        "| language | model alone | a priori layer (1.5 / 0.75, all negated masked) | best, all negated masked "
        "| best, negated negatives masked | chosen (passes every acceptance phrase) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for fam, t in tunings.items():
        best = {
            mask: max((c for c in t.grid if c.mask_negated_positive is mask), key=lambda c: t.grid[c])
            for mask in (True, False)
        }
        cells = [f"{results[fam]['cv_accuracy']:.4f}", f"{t.grid[sm.A_PRIORI_PARAMS]:.4f}"]
        cells += [
            f"{t.grid[best[mask]]:.4f} ({best[mask].negated_weight:g} / {best[mask].plain_weight:g})"
            for mask in (True, False)
        ]
        cells.append(f"**{t.grid[t.chosen]:.4f}**: {_params_text(t.chosen)}")
        lines.append(f"| {fam} | " + " | ".join(cells) + " |")
    lines.append("")
    for fam, t in tunings.items():
        for candidate, accuracy, failures in t.rejected:
            text, expected, got = failures[0]
            lines.append(
                f"Rejected ({fam}): {_params_text(candidate)} — CV {accuracy:.4f}, but {len(failures)} acceptance "
                f'phrase(s) fail, e.g. "{text}" {got} (expected {expected}).'
            )
        if t.rejected:
            lines.append("")
    for fam, t in tunings.items():
        mask = t.chosen.mask_negated_positive
        lines += [
            f"CV accuracy, {fam}, masking {'all negated words' if mask else 'negated negative words only'} "
            "(rows: negated weight, columns: plain weight):",
            "",
            "| negated \\ plain | " + " | ".join(f"{w:g}" for w in LEXICON_WEIGHTS) + " |",
            "| --- |" + " --- |" * len(LEXICON_WEIGHTS),
        ]
        for wn in LEXICON_WEIGHTS:
            row = [t.grid[sm.LexiconParams(wn, wp, mask)] for wp in LEXICON_WEIGHTS]
            lines.append(f"| {wn:g} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
        lines.append("")
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
    parser.add_argument("--cv-dump", type=Path, default=None, help="folder for the out-of-fold numbers (npz)")
    args = parser.parse_args(argv)
    folder = args.data or data_dir()
    lambdas = [float(v) for v in args.lambdas.split(",")]
    phrases = load_phrases()
    started = time.perf_counter()
    arrays: dict[str, np.ndarray] = {"dim": np.array(sm.DIM), "feature_version": np.array(sm.FEATURE_VERSION)}
    results: dict[str, dict[str, object]] = {}
    tunings: dict[str, LexiconTuning] = {}
    final: dict[str, tuple[np.ndarray, float]] = {"zh": (np.zeros(sm.DIM, dtype=np.float32), 0.0)}
    lexicon: dict[str, sm.LexiconParams] = {"zh": sm.A_PRIORI_PARAMS, "en": sm.A_PRIORI_PARAMS}

    def model_with(fam: str, params: sm.LexiconParams) -> sm.Model:
        weights = {k: v[0] for k, v in final.items()}
        bias = {k: v[1] for k, v in final.items()}
        return sm.with_weights(weights, bias, {**lexicon, fam: params})

    # English first: the zh pipeline scores the Latin words of mixed text with the en model.
    for fam, language, examples in (("en", "en", load_en(folder)), ("zh", "zh-hans", load_zh(folder))):
        other_fam = "en" if fam == "zh" else "zh"
        train, test = split(examples)
        print(f"{fam}: {len(train)} training, {len(test)} held out", file=sys.stderr)
        texts = [ex.text for ex in train]
        y = np.array([ex.label for ex in train], dtype=float)
        x = design(texts, language)
        cv, fold_models = cross_validate(texts, y, x, lambdas)
        lam = max(cv, key=lambda k: (cv[k], -k))
        w, b = fit(x, y, lam)
        final[fam] = (w.astype(np.float32), b)
        arrays[f"{fam}_w"] = final[fam][0]
        arrays[f"{fam}_b"] = np.array(b)
        oof = out_of_fold(texts, y, language, fold_models[lam], final[other_fam])
        if args.cv_dump:
            args.cv_dump.mkdir(parents=True, exist_ok=True)
            np.savez(args.cv_dump / f"{fam}_oof.npz", **{k: getattr(oof, k) for k in oof.__dataclass_fields__})

        def failures(c: sm.LexiconParams, fam: str = fam) -> list[tuple[str, str, str]]:
            return phrase_failures(phrases[fam], model_with(fam, c))

        tuning = tune_lexicon(oof, failures)
        tunings[fam] = tuning
        lexicon[fam] = tuning.chosen
        arrays[f"{fam}_lexicon"] = tuning.chosen.to_array()
        print(f"  lexicon: {tuning.chosen} (CV accuracy {tuning.grid[tuning.chosen]:.4f})", file=sys.stderr)
        xt = design([ex.text for ex in test], language)
        z = xt.dot(final[fam][0].astype(np.float64)) + b
        labels = [ex.label for ex in test]
        s = scores(labels, (z > 0).astype(int))
        p = 1 / (1 + np.exp(-z))
        neutral_share = float((np.abs(2 * p - 1) < sm.NEUTRAL_BAND).mean())
        m = model_with(fam, tuning.chosen)
        full = scores(labels, [int((sm.probability(ex.text, language, m) or 0.5) > 0.5) for ex in test])
        results[fam] = {
            "n": s.n,
            "accuracy": s.accuracy,
            "macro_f1": s.macro_f1,
            "confusion": s.confusion,
            "neutral_share": neutral_share,
            "lambda": lam,
            "cv_accuracy": cv[lam],
            "pipeline_accuracy": full.accuracy,
            "pipeline_macro_f1": full.macro_f1,
            "pipeline_confusion": full.confusion,
        }
        print(json.dumps({"language": fam, **results[fam]}), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {seconds:.1f}s", file=sys.stderr)
    if not args.no_docs:
        order = ("zh", "en")
        write_docs(args.docs, _report({k: results[k] for k in order}, {k: tunings[k] for k in order}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
