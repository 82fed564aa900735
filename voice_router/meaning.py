"""Text as meaning: WordLlama's static token embeddings (weights shipped inside the
`wordllama` wheel, MIT), loaded from the package on first use and never from the network,
pooled into one unit vector per text. Runs on CPU in microseconds per text."""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voice_router.similarity import STOP_WORDS, words

DIM = 256
WEIGHTS = "l2_supercat_256.safetensors"
TOKENIZER = "l2_supercat_tokenizer_config.json"


@lru_cache(maxsize=1)
def _model() -> Any:
    # WordLlama.load() looks for the tokenizer in a folder the wheel does not have and then
    # downloads it; both files are in the wheel, so they are opened from there directly.
    import wordllama
    from safetensors import safe_open
    from wordllama.inference import WordLlamaInference
    from wordllama.tokenizers import tokenizer_from_file

    root = Path(wordllama.__file__).parent
    with safe_open(str(root / "weights" / WEIGHTS), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer_from_file(TOKENIZER))


def embed(texts: list[str]) -> np.ndarray:
    """One unit vector (float32, DIM wide) per text; zeros for a text without tokens."""
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    kept = [i for i, text in enumerate(texts) if text.strip()]
    if kept:
        found = np.asarray(_model().embed([texts[i] for i in kept]), dtype=np.float32)
        norms = np.linalg.norm(found, axis=1, keepdims=True)
        vectors[kept] = np.divide(found, norms, out=np.zeros_like(found), where=norms > 0)
    return vectors


@lru_cache(maxsize=65536)
def _word(word: str) -> np.ndarray:
    return embed([word])[0]


def text_vector(texts: list[str]) -> np.ndarray:
    """The sum over the texts' words (stop words and single letters dropped; a word counts
    once per text) of its vector times 1 + log(the number of texts that use it): unnormalised,
    so the vectors of problems merged together add up."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({w for w in words(text) if len(w) > 1 and w not in STOP_WORDS})
    total = np.zeros(DIM, dtype=np.float32)
    for word, count in counts.items():
        total += (1 + math.log(count)) * _word(word)
    return total


def similarities(target: np.ndarray, others: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Cosine similarity of `target` with each row of `others` after both are normalised and
    `background` (the mean normalised vector of all problems) is taken off: words that every
    problem uses stop counting."""
    rows = _unit(_unit(others) - background)
    return rows @ _unit(_unit(target[None, :]) - background)[0]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def background(vectors: np.ndarray, prior: int = 20) -> np.ndarray:
    """The mean unit vector, shrunk towards zero for a few problems (with two problems,
    taking off their full mean would leave them exact opposites)."""
    if not len(vectors):
        return np.zeros(DIM, dtype=np.float32)
    return _unit(vectors).mean(axis=0) * (len(vectors) / (len(vectors) + prior))
