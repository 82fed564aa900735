"""The encoder's ONNX graph rearranged so that its int8 weights stay int8 in memory.

The model keeps each weight as int8 plus a float scale, made float by a `Cast` and a `Mul`
at the top of the graph. onnxruntime's constant folding runs those once at load time, so
the session holds every weight as float32 (90 MB, of which the vocabulary's embedding table
is 47 MB, and more while it builds them): the worker that loads it passed 300 MB. Here,
with the numbers unchanged:

* the embedding table is looked up in int8 (`Gather` of the ids' rows and of their scales)
  and only those rows are made float: float(q) * scale row by row, as before;
* every other weight's `Cast` and `Mul` move to just before the node that uses the weight,
  so with constant folding off (see meaning._encoder) one weight at a time is float
  during a run, and freed after its use.

The graph is edited in protobuf's wire format (ModelProto.graph, GraphProto.node,
NodeProto's fields): the `onnx` package is not needed for the few fields touched.
"""

from __future__ import annotations

from dataclasses import dataclass

# Field numbers of onnx.proto3 (ModelProto.graph = 7, GraphProto.node = 1; NodeProto.input
# = 1, output = 2, name = 3, op_type = 4, attribute = 5; AttributeProto.name = 1, i = 3,
# type = 20, AttributeType.INT = 2; TensorProto.FLOAT = 1).
MODEL_GRAPH, GRAPH_NODE = 7, 1
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_OP, NODE_ATTRIBUTE = 1, 2, 3, 4, 5
ATTR_NAME, ATTR_INT, ATTR_TYPE, INT = 1, 3, 20, 2
FLOAT = 1
VARINT, LEN = 0, 2


@dataclass
class Node:
    raw: bytes | memoryview
    op: str
    inputs: list[str]
    outputs: list[str]


def rearranged(model: bytes, table: str = "inner.embeddings.word_embeddings.weight") -> bytes:
    """The model with its dequantisation moved to where each weight is used, and the
    `table` (an embedding weight made by Cast(table_q) * table_scale) looked up in int8."""
    fields = _fields(model)
    graph_at = [i for i, (number, kind, _, _) in enumerate(fields) if number == MODEL_GRAPH]
    if len(graph_at) != 1 or fields[graph_at[0]][1] != LEN:
        raise ValueError("not an ONNX model: no single graph")
    graph = _graph(fields[graph_at[0]][2], table)
    parts: list[bytes | memoryview] = [raw for _, _, _, raw in fields[: graph_at[0]]]
    parts += [_key(MODEL_GRAPH, LEN), _varint(sum(len(part) for part in graph)), *graph]
    parts += [raw for _, _, _, raw in fields[graph_at[0] + 1 :]]
    return b"".join(parts)


def _graph(graph: memoryview, table: str) -> list[bytes | memoryview]:
    """The graph's fields, nodes rearranged, as parts to join (the initializers are not
    copied until then)."""
    fields = _fields(graph)
    nodes = [_node(value) for number, _, value, _ in fields if number == GRAPH_NODE]
    made = {node.outputs[0]: node for node in nodes if _dequantises(node, nodes)}
    casts = {node.outputs[0]: node for node in nodes if node.op == "Cast"}
    moved = set(made) | {mul.inputs[0] for mul in made.values()}
    order: list[bytes | memoryview] = []
    placed: set[str] = set()
    for node in nodes:
        if node.outputs[0] in moved:
            continue  # a weight's Cast or Mul: placed before its first use below
        if node.op == "Gather" and node.inputs[0] == table and table in made:
            order += _lookup(node, table)
            placed.add(table)
            continue
        for name in node.inputs:
            if name in made and name not in placed:
                mul = made[name]
                order += [casts[mul.inputs[0]].raw, mul.raw]
                placed.add(name)
        order.append(node.raw)
    if table not in placed:
        raise ValueError(f"no int8 embedding table {table!r} in the model")
    return [_field(GRAPH_NODE, raw) for raw in order] + [
        raw for number, _, _, raw in fields if number != GRAPH_NODE
    ]


def _dequantises(node: Node, nodes: list[Node]) -> bool:
    """A Mul of (Cast of an int8 initializer `<w>_q`) by `<w>_scale`, making `<w>`."""
    if node.op != "Mul" or len(node.inputs) != 2:
        return False
    weight = node.outputs[0]
    return node.inputs == [f"{weight}_f", f"{weight}_scale"] and any(
        n.op == "Cast" and n.inputs == [f"{weight}_q"] and n.outputs == [f"{weight}_f"]
        for n in nodes
    )


def _lookup(gather: Node, table: str) -> list[bytes | memoryview]:
    """Gather(table, ids) as Cast(Gather(table_q, ids)) * Gather(table_scale, ids): the rows
    asked for, made float one by one as the whole table was."""
    ids, out = gather.inputs[1], gather.outputs[0]
    return [
        _make("Gather", [f"{table}_q", ids], [f"{out}_q"], axis=0),
        _make("Gather", [f"{table}_scale", ids], [f"{out}_scale"], axis=0),
        _make("Cast", [f"{out}_q"], [f"{out}_f"], to=FLOAT),
        _make("Mul", [f"{out}_f", f"{out}_scale"], [out]),
    ]


def _make(op: str, inputs: list[str], outputs: list[str], **attributes: int) -> bytes:
    parts = [_field(NODE_INPUT, name.encode()) for name in inputs]
    parts += [_field(NODE_OUTPUT, name.encode()) for name in outputs]
    parts += [_field(NODE_NAME, f"rearranged_{outputs[0]}".encode()), _field(NODE_OP, op.encode())]
    for name, value in attributes.items():
        attribute = (
            _field(ATTR_NAME, name.encode())
            + _key(ATTR_INT, VARINT)
            + _varint(value)
            + _key(ATTR_TYPE, VARINT)
            + _varint(INT)
        )
        parts.append(_field(NODE_ATTRIBUTE, attribute))
    return b"".join(parts)


def _node(raw: memoryview) -> Node:
    op, inputs, outputs = "", [], []
    for number, kind, value, _ in _fields(raw):
        if kind != LEN:
            continue
        if number == NODE_OP:
            op = bytes(value).decode()
        elif number == NODE_INPUT:
            inputs.append(bytes(value).decode())
        elif number == NODE_OUTPUT:
            outputs.append(bytes(value).decode())
    return Node(raw, op, inputs, outputs)


def _fields(data: bytes | memoryview) -> list[tuple[int, int, memoryview, memoryview]]:
    """(field number, wire type, value, the field's raw bytes) of one message, in order:
    views into `data`, not copies."""
    view = memoryview(data)
    found = []
    at = 0
    while at < len(data):
        start = at
        key, at = _read_varint(data, at)
        number, kind = key >> 3, key & 7
        if kind == VARINT:
            _, at = _read_varint(data, at)
            value = view[start:at]
        elif kind == LEN:
            size, at = _read_varint(data, at)
            value, at = view[at : at + size], at + size
        elif kind in (1, 5):  # fixed64, fixed32
            value, at = view[at : at + (8 if kind == 1 else 4)], at + (8 if kind == 1 else 4)
        else:
            raise ValueError(f"unexpected protobuf wire type {kind}")
        if at > len(data):
            raise ValueError("truncated protobuf message")
        found.append((number, kind, value, view[start:at]))
    return found


def _read_varint(data: bytes | memoryview, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, kind: int) -> bytes:
    return _varint(number << 3 | kind)


def _field(number: int, value: bytes | memoryview) -> bytes:
    return _key(number, LEN) + _varint(len(value)) + bytes(value)
