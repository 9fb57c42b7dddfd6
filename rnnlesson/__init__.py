"""rnnlesson: recurrent neural networks in numpy, in the lecture's notation.

    a_t = tanh(Waa a_{t-1} + Wax x_t + ba),   ŷ_t = softmax(Wya a_t + by)

Column vectors: one step of a batch is (features, m); a batch of sequences is (n_x, m, T_x).
"""

from rnnlesson.attention import (
    attention_backward,
    attention_forward,
    attention_loss,
    attention_weights,
    init_attention,
)
from rnnlesson.beam import beam_search
from rnnlesson.bleu import corpus_bleu
from rnnlesson.cells import Cell, get_cell, sequence_forward
from rnnlesson.ctc import ctc_greedy_decode, ctc_loss, ctc_prefix_beam_search
from rnnlesson.datasets import (
    Vocabulary,
    load_corpus,
    load_sentiment,
    load_text,
    pad_batch,
    sentiment_arrays,
)
from rnnlesson.deep import deep_backward, deep_forward, deep_many_to_many_loss, init_deep
from rnnlesson.embedding import (
    embed,
    embed_backward,
    embedded_loss,
    init_embedded,
    init_embedding,
)
from rnnlesson.generate import sample, translate
from rnnlesson.gradcheck import gradient_check, numerical_gradient, rel_error
from rnnlesson.gru import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    init_gru_params,
)
from rnnlesson.judging import date_readings, exact_match
from rnnlesson.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
)
from rnnlesson.optim import adagrad, adam, clip_by_global_norm, clip_by_value, global_norm, sgd
from rnnlesson.rnn import init_params, rnn_cell_backward, rnn_cell_forward, softmax
from rnnlesson.scheduled import (
    epsilon_schedule,
    scheduled_batches,
    scheduled_inputs,
    scheduled_sampling_loss,
)
from rnnlesson.search_errors import blame_errors, sequence_log_probability
from rnnlesson.self_attention import (
    attention_entropy,
    init_self_attention,
    positional_encoding,
    self_attention_backward,
    self_attention_forward,
)
from rnnlesson.sequence import (
    one_hot,
    rnn_backward,
    rnn_backward_by_cells,
    rnn_forward,
    rnn_forward_by_cells,
)
from rnnlesson.topologies import (
    encoder_decoder_loss,
    feedforward_loss,
    init_encoder_decoder,
    many_to_many_loss,
    many_to_one_loss,
    one_to_one_loss,
)
from rnnlesson.training import train

__all__ = [
    "Vocabulary", "adagrad", "adam", "clip_by_global_norm", "clip_by_value",
    "encoder_decoder_loss", "feedforward_loss", "global_norm", "gradient_check",
    "init_encoder_decoder", "init_params", "load_corpus", "load_sentiment", "load_text",
    "many_to_many_loss", "many_to_one_loss", "numerical_gradient", "one_hot", "one_to_one_loss",
    "pad_batch", "rel_error", "rnn_backward", "rnn_backward_by_cells", "rnn_cell_backward",
    "rnn_cell_forward", "rnn_forward", "rnn_forward_by_cells", "sample", "sentiment_arrays",
    "sgd", "softmax", "train", "translate",
    "gru_backward", "gru_cell_backward", "gru_cell_forward", "gru_forward", "init_gru_params",
    "init_lstm_params", "lstm_backward", "lstm_cell_backward", "lstm_cell_forward",
    "lstm_forward",
    "Cell", "get_cell", "sequence_forward", "init_deep", "deep_forward", "deep_backward",
    "deep_many_to_many_loss", "init_attention", "attention_forward", "attention_backward",
    "attention_loss", "attention_weights", "beam_search", "corpus_bleu", "ctc_loss",
    "ctc_greedy_decode", "ctc_prefix_beam_search",
    "init_self_attention", "self_attention_forward", "self_attention_backward",
    "attention_entropy", "positional_encoding",
    "embed", "embed_backward", "embedded_loss", "init_embedded", "init_embedding",
    "blame_errors", "date_readings", "exact_match", "sequence_log_probability",
    "epsilon_schedule", "scheduled_batches", "scheduled_inputs", "scheduled_sampling_loss",
]
__version__ = "0.1.0"
