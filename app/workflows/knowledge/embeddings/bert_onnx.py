"""Build an ONNX graph of a BERT sentence encoder directly from its weights.

The graph computes what sentence-transformers computes for a BERT model with mean pooling
and normalisation: embeddings -> N encoder layers -> masked mean over tokens -> L2 norm.
Building it ourselves avoids torch at run time and keeps inputs dynamic in batch size and
sequence length, so each batch is padded only to its longest text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
SENTENCE_EMBEDDING = "sentence_embedding"


@dataclass(frozen=True)
class BertShape:
    """The few hyper-parameters of a BERT config the graph depends on."""

    hidden_size: int
    num_heads: int
    num_layers: int
    layer_norm_eps: float

    @classmethod
    def from_config(cls, config: dict) -> BertShape:
        return cls(
            hidden_size=int(config["hidden_size"]),
            num_heads=int(config["num_attention_heads"]),
            num_layers=int(config["num_hidden_layers"]),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
        )


class _GraphBuilder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        self._count += 1
        output = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attrs))
        return output

    def linear(self, x: str, weights: dict[str, np.ndarray], prefix: str) -> str:
        """``x @ W.T + b`` for a torch ``nn.Linear`` stored as ``prefix.weight/bias``."""
        w = self.const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T.astype(np.float32))
        b = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], prefix: str,
                   eps: float) -> str:
        scale = self.const(f"{prefix}.weight", weights[f"{prefix}.weight"].astype(np.float32))
        bias = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def build_bert_encoder(weights: dict[str, np.ndarray], shape: BertShape) -> onnx.ModelProto:
    """Return an ONNX model mapping token ids and mask to unit-length sentence vectors."""
    g = _GraphBuilder()
    head_dim = shape.hidden_size // shape.num_heads
    x = _embeddings(g, weights, shape)
    mask_bias = _attention_mask_bias(g)
    for layer in range(shape.num_layers):
        x = _encoder_layer(g, weights, shape, f"encoder.layer.{layer}", x, mask_bias, head_dim)
    _mean_pool_and_normalise(g, x)

    graph = helper.make_graph(
        g.nodes,
        "bert_sentence_encoder",
        inputs=[
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[
            helper.make_tensor_value_info(
                SENTENCE_EMBEDDING, TensorProto.FLOAT, ["batch", shape.hidden_size]
            )
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _embeddings(g: _GraphBuilder, weights: dict[str, np.ndarray], shape: BertShape) -> str:
    word_table = g.const("word_embeddings", weights["embeddings.word_embeddings.weight"])
    position_table = g.const(
        "position_embeddings", weights["embeddings.position_embeddings.weight"]
    )
    # Single-segment inputs: every token has token type 0, so its embedding is a constant row.
    token_type = g.const(
        "token_type_embedding_0", weights["embeddings.token_type_embeddings.weight"][0]
    )
    words = g.op("Gather", [word_table, INPUT_IDS])
    # Positions 0..seq-1 are the first seq rows of the position table.
    axis0 = g.const("axis_0", np.array([0], dtype=np.int64))
    seq_len = g.op("Slice", [g.op("Shape", [INPUT_IDS]),
                             g.const("one_1d", np.array([1], dtype=np.int64)),
                             g.const("two_1d", np.array([2], dtype=np.int64)), axis0])
    positions = g.op("Slice", [position_table, g.const("zero_1d", np.array([0], dtype=np.int64)),
                               seq_len, axis0])
    summed = g.op("Add", [g.op("Add", [words, positions]), token_type])
    return g.layer_norm(summed, weights, "embeddings.LayerNorm", shape.layer_norm_eps)


def _attention_mask_bias(g: _GraphBuilder) -> str:
    """Additive mask of shape (batch, 1, 1, seq): 0 for real tokens, -10000 for padding."""
    mask = g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)
    inverted = g.op("Sub", [g.const("one_f32", np.array(1.0, dtype=np.float32)), mask])
    bias = g.op("Mul", [inverted, g.const("mask_penalty", np.array(-10000.0, dtype=np.float32))])
    return g.op("Unsqueeze", [bias, g.const("axes_1_2", np.array([1, 2], dtype=np.int64))])


def _encoder_layer(g: _GraphBuilder, weights: dict[str, np.ndarray], shape: BertShape,
                   prefix: str, x: str, mask_bias: str, head_dim: int) -> str:
    split_heads = g.const(
        f"{prefix}.split_heads", np.array([0, 0, shape.num_heads, head_dim], dtype=np.int64)
    )
    merge_heads = g.const(
        f"{prefix}.merge_heads", np.array([0, 0, shape.hidden_size], dtype=np.int64)
    )

    def heads(name: str, perm: list[int]) -> str:
        projected = g.linear(x, weights, f"{prefix}.attention.self.{name}")
        return g.op("Transpose", [g.op("Reshape", [projected, split_heads])], perm=perm)

    query = heads("query", [0, 2, 1, 3])
    key = heads("key", [0, 2, 3, 1])
    value = heads("value", [0, 2, 1, 3])
    scale = g.const(f"{prefix}.scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [query, key]), scale]), mask_bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), value])
    context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])

    attended = g.linear(context, weights, f"{prefix}.attention.output.dense")
    x = g.layer_norm(g.op("Add", [attended, x]), weights,
                     f"{prefix}.attention.output.LayerNorm", shape.layer_norm_eps)

    inner = g.linear(x, weights, f"{prefix}.intermediate.dense")
    outer = g.linear(_gelu(g, inner, prefix), weights, f"{prefix}.output.dense")
    return g.layer_norm(g.op("Add", [outer, x]), weights, f"{prefix}.output.LayerNorm",
                        shape.layer_norm_eps)


def _gelu(g: _GraphBuilder, x: str, prefix: str) -> str:
    """Exact (erf) GELU, as BERT uses; onnxruntime fuses this pattern into one kernel."""
    inv_sqrt2 = g.const(f"{prefix}.inv_sqrt2", np.array(1 / math.sqrt(2), dtype=np.float32))
    one = g.const(f"{prefix}.one", np.array(1.0, dtype=np.float32))
    half = g.const(f"{prefix}.half", np.array(0.5, dtype=np.float32))
    erf = g.op("Erf", [g.op("Mul", [x, inv_sqrt2])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, one])]), half])


def _mean_pool_and_normalise(g: _GraphBuilder, tokens: str) -> None:
    mask = g.op("Unsqueeze", [g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT),
                              g.const("axes_2", np.array([2], dtype=np.int64))])
    token_axis = g.const("axes_token", np.array([1], dtype=np.int64))
    summed = g.op("ReduceSum", [g.op("Mul", [tokens, mask]), token_axis], keepdims=0)
    counts = g.op("ReduceSum", [mask, token_axis], keepdims=0)
    counts = g.op("Max", [counts, g.const("min_count", np.array(1e-9, dtype=np.float32))])
    mean = g.op("Div", [summed, counts])
    norm = g.op("ReduceL2", [mean], axes=[1], keepdims=1)
    norm = g.op("Max", [norm, g.const("min_norm", np.array(1e-12, dtype=np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], [SENTENCE_EMBEDDING]))
