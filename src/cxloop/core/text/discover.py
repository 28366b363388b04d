"""Theme discovery: suggest new codeframe themes from the comments no theme caught.

:func:`discover` takes the comments and a ``tokenize`` callable (the caller's tokenizer, e.g. jieba words or
character bigrams for Chinese and words for English; it should fold case and script as the caller likes):

1. Vocabulary: terms in at least ``min_df`` comments and at most ``max_df`` of them, the ``max_terms`` most
   frequent kept (ties by term, so the result is deterministic).
2. TF-IDF rows (sublinear tf ``1 + ln tf``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``, rows scaled to unit
   length), held sparse (CSR arrays built here; numpy only).
3. NMF ``X ≈ W·H`` with ``k`` components by the Lee–Seung multiplicative updates for the Frobenius norm
   (Lee & Seung, "Algorithms for non-negative matrix factorization", NIPS 2000), initialised from ``k``
   comments picked k-means++-style with a seeded generator (Arthur & Vassilvitskii, SODA 2007), so the same
   input gives the same output. Iterations stop when the relative fall of the error is below ``tol``.
4. Components that are one topic split in parts (they share at least two of their top terms and their term
   weights have a cosine of at least 0.2) are merged. Each comment joins its strongest component. A component
   becomes a :class:`Suggestion`: its top terms (``keywords``; the first ``n_labels`` are ``label_terms``),
   its size, the ``n_quotes`` member comments nearest it (cosine of the comment's TF-IDF row and the
   component's term weights) and ``score``, the mean of that cosine over its members (how tight, 0..1).
5. Dropped: components smaller than ``min_size``; loose ones, whose ``score`` is below ``min_score`` (the
   catch-all components NMF makes of comments that share nothing in particular: on the waimai reviews these
   score 0.1–0.2, real topics 0.3–0.5); and with a ``codeframe``, near-duplicates of existing themes: those
   whose keyword weight is for at least ``overlap`` covered by the codeframe (a keyword is covered when the
   codeframe's matcher finds a theme in it or it is one of the tokens of a theme's own terms), or whose
   member comments the codeframe's matcher tags for at least that share.

Suggestions come largest first. 10,000 short comments take a few seconds (tokenizing aside).

Pure Python + numpy: no Django.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from cxloop.core.text.themes import KEYWORD_LANGUAGES, Codeframe, Matcher

__all__ = ["Suggestion", "discover"]

_EPS = 1e-10
_MERGE_COSINE = 0.2
_MERGE_SHARED = 2

Tokenize = Callable[[str], Iterable[str]]
FloatArray = np.ndarray


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A candidate theme: what it is about, how many comments, and examples to show."""

    label_terms: tuple[str, ...]
    keywords: tuple[str, ...]
    size: int
    quotes: tuple[str, ...]
    score: float
    members: tuple[int, ...] = ()  # indices into the comments passed to discover, nearest first
    quote_indices: tuple[int, ...] = ()


class _Csr:
    """Rows of a sparse matrix: row i has columns indices[indptr[i]:indptr[i+1]] with values data[...]."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]) -> None:
        self.indptr, self.indices, self.data, self.shape = indptr, indices, data, shape
        self.row_of = np.repeat(np.arange(shape[0]), np.diff(indptr))  # the row of every stored value

    def dot_t(self, h: FloatArray) -> FloatArray:
        """X · Hᵀ for H of shape (k, columns): (rows, k)."""
        n = self.shape[0]
        return np.stack(
            [np.bincount(self.row_of, weights=self.data * h[j, self.indices], minlength=n) for j in range(len(h))],
            axis=1,
        )

    def t_dot(self, w: FloatArray) -> FloatArray:
        """Wᵀ · X for W of shape (rows, k): (k, columns)."""
        v = self.shape[1]
        columns = np.ascontiguousarray(w.T)
        return np.stack(
            [np.bincount(self.indices, weights=self.data * col[self.row_of], minlength=v) for col in columns]
        )


def _vocabulary(docs: list[list[str]], min_df: int, max_df: float, max_terms: int) -> dict[str, int]:
    df: Counter[str] = Counter()
    for tokens in docs:
        df.update(set(tokens))
    ceiling = max_df * len(docs) if max_df <= 1 else max_df
    kept = [(term, n) for term, n in df.items() if n >= min_df and n <= ceiling]
    kept.sort(key=lambda item: (-item[1], item[0]))
    return {term: i for i, (term, _) in enumerate(kept[:max_terms])}


def _tfidf(docs: list[list[str]], vocab: dict[str, int]) -> tuple[_Csr, list[int]]:
    """Unit-length TF-IDF rows of the comments that have any vocabulary term, and which comments those are."""
    indptr = [0]
    indices: list[int] = []
    counts: list[float] = []
    kept: list[int] = []
    for d, tokens in enumerate(docs):
        tf = Counter(t for t in tokens if t in vocab)
        if not tf:
            continue
        kept.append(d)
        for term, n in sorted(tf.items(), key=lambda item: vocab[item[0]]):
            indices.append(vocab[term])
            counts.append(1.0 + math.log(n))
        indptr.append(len(indices))
    cols = np.asarray(indices, dtype=np.int64)
    data = np.asarray(counts, dtype=np.float64)
    n_docs = len(docs)
    df = np.bincount(cols, minlength=len(vocab)).astype(np.float64)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    data *= idf[cols]
    ptr = np.asarray(indptr, dtype=np.int64)
    norms = np.sqrt(np.add.reduceat(data * data, ptr[:-1])) if len(kept) else np.zeros(0)
    data /= np.repeat(norms, np.diff(ptr))
    return _Csr(ptr, cols, data, (len(kept), len(vocab))), kept


def _seeds(x: _Csr, k: int, rng: np.random.Generator) -> list[int]:
    """k rows picked k-means++-style: each next row with probability ∝ (1 − its best cosine to those picked)²."""
    n = x.shape[0]
    first = int(rng.integers(n))
    chosen = [first]
    best = np.zeros(n)
    for _ in range(1, k):
        centre = np.zeros(x.shape[1])
        last = chosen[-1]
        lo, hi = x.indptr[last], x.indptr[last + 1]
        centre[x.indices[lo:hi]] = x.data[lo:hi]
        sims = np.bincount(x.row_of, weights=x.data * centre[x.indices], minlength=n)
        best = np.maximum(best, sims)
        weight = np.clip(1.0 - best, 0.0, None) ** 2
        weight[chosen] = 0.0
        total = weight.sum()
        if total <= 0:
            break
        chosen.append(int(rng.choice(n, p=weight / total)))
    return chosen


def _nmf(x: _Csr, k: int, seed: int, max_iter: int, tol: float) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    _n, v = x.shape
    seeds = _seeds(x, k, rng)
    k = len(seeds)
    floor = float(x.data.mean()) * 0.01
    h = np.full((k, v), floor)
    for c, d in enumerate(seeds):
        lo, hi = x.indptr[d], x.indptr[d + 1]
        h[c, x.indices[lo:hi]] += x.data[lo:hi]
    w = x.dot_t(h) + floor
    norm_x = float(np.sum(x.data * x.data))
    previous = math.inf
    # The products go through np.bincount and np.einsum, not BLAS: single-threaded, so the result does not
    # depend on the BLAS build or its thread count, and a busy machine does not stall on BLAS threads.
    for step in range(max_iter):
        w *= x.dot_t(h) / (np.einsum("nk,kj->nj", w, np.einsum("kv,jv->kj", h, h)) + _EPS)
        wtx = x.t_dot(w)
        wtw = np.einsum("nk,nj->kj", w, w)
        h *= wtx / (np.einsum("kj,jv->kv", wtw, h) + _EPS)
        if step % 5 == 4:
            # ‖X − WH‖² = ‖X‖² − 2·tr(Hᵀ WᵀX) + tr(WᵀW · HHᵀ)
            hht = np.einsum("kv,jv->kj", h, h)
            error = norm_x - 2.0 * float(np.sum(h * wtx)) + float(np.sum(wtw * hht))
            if previous - error < tol * max(previous, _EPS) and math.isfinite(previous):
                break
            previous = error
    return w, h


def _merge(h: FloatArray, n_keywords: int) -> list[list[int]]:
    """Groups of components that are one topic split in parts: they share at least ``_MERGE_SHARED`` of their
    top terms and their term weights have a cosine of at least ``_MERGE_COSINE`` (union-find, transitive)."""
    k = h.shape[0]
    parent = list(range(k))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    unit = h / np.maximum(np.sqrt(np.einsum("kv,kv->k", h, h)), _EPS)[:, None]
    cosine = np.einsum("kv,jv->kj", unit, unit)
    tops = [set(np.argsort(-h[c], kind="stable")[:n_keywords].tolist()) for c in range(k)]
    for i in range(k):
        for j in range(i + 1, k):
            if cosine[i, j] >= _MERGE_COSINE and len(tops[i] & tops[j]) >= _MERGE_SHARED:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for c in range(k):
        groups.setdefault(root(c), []).append(c)
    return list(groups.values())


def _theme_tokens(codeframe: Codeframe, tokenize: Tokenize) -> list[set[str]]:
    out: list[set[str]] = []
    for theme in codeframe.themes:
        tokens: set[str] = set()
        for lang in KEYWORD_LANGUAGES:
            for term in theme.keywords.get(lang):
                tokens.update(tokenize(term.rstrip("*")))
        out.append(tokens)
    return out


def _covered(keywords: list[str], weights: list[float], matcher: Matcher, theme_tokens: list[set[str]]) -> float:
    """The share of the keyword weight that existing themes cover (a keyword counts once, whatever it hits)."""
    covered = 0.0
    for term, weight in zip(keywords, weights, strict=True):
        if matcher.match(term) or any(term in tokens for tokens in theme_tokens):
            covered += weight
    total = sum(weights)
    return covered / total if total > 0 else 0.0


def discover(
    comments: Sequence[str],
    tokenize: Tokenize,
    *,
    codeframe: Codeframe | None = None,
    k: int = 8,
    min_df: int = 3,
    max_df: float = 0.5,
    max_terms: int = 5_000,
    min_size: int = 5,
    min_score: float = 0.25,
    n_keywords: int = 10,
    n_labels: int = 3,
    n_quotes: int = 3,
    overlap: float = 0.5,
    seed: int = 0,
    max_iter: int = 200,
    tol: float = 1e-4,
) -> list[Suggestion]:
    """Suggest up to ``k`` new themes from ``comments`` (see the module docstring); largest first.

    ``max_df`` is a share of the comments when ≤ 1, else a count. Deterministic for a given ``seed``.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    docs = [list(tokenize(text)) for text in comments]
    vocab = _vocabulary(docs, min_df, max_df, max_terms)
    if not vocab:
        return []
    x, kept = _tfidf(docs, vocab)
    if x.shape[0] == 0:
        return []
    w, h = _nmf(x, min(k, x.shape[0]), seed, max_iter, tol)
    terms = sorted(vocab, key=vocab.__getitem__)
    assigned = np.argmax(w, axis=1)
    strength = w[np.arange(len(w)), assigned]
    groups = _merge(h, n_keywords)
    group_of = np.zeros(h.shape[0], dtype=np.int64)
    for g, members_of in enumerate(groups):
        group_of[members_of] = g
    assigned = group_of[assigned]
    h = np.stack([h[members_of].sum(axis=0) for members_of in groups])
    h_norm = np.sqrt(np.einsum("kv,kv->k", h, h))
    cosines = x.dot_t(h / np.maximum(h_norm, _EPS)[:, None])  # rows are unit length
    matcher = Matcher(codeframe) if codeframe is not None else None
    theme_tokens = _theme_tokens(codeframe, tokenize) if codeframe is not None else []
    out: list[Suggestion] = []
    for c in range(h.shape[0]):
        rows = np.flatnonzero((assigned == c) & (strength > _EPS))
        if len(rows) < max(min_size, 1):
            continue
        top = [int(i) for i in np.argsort(-h[c], kind="stable")[:n_keywords] if h[c, i] > _EPS]
        keywords = [terms[i] for i in top]
        score = float(cosines[rows, c].mean())
        if score < min_score:
            continue
        near = rows[np.argsort(-cosines[rows, c], kind="stable")]
        members = tuple(kept[int(r)] for r in near)
        if matcher is not None:
            share = _covered(keywords, [float(h[c, i]) for i in top], matcher, theme_tokens)
            tagged = sum(1 for d in members if matcher.match(comments[d])) / len(members)
            if max(share, tagged) >= overlap:
                continue
        quotes: list[str] = []
        quote_indices: list[int] = []
        for d in members:
            text = comments[d].strip()
            if text and text not in quotes:
                quotes.append(text)
                quote_indices.append(d)
            if len(quotes) == n_quotes:
                break
        out.append(
            Suggestion(
                label_terms=tuple(keywords[:n_labels]),
                keywords=tuple(keywords),
                size=len(rows),
                quotes=tuple(quotes),
                score=round(score, 4),
                members=members,
                quote_indices=tuple(quote_indices),
            )
        )
    out.sort(key=lambda s: (-s.size, -s.score, s.keywords))
    return out
