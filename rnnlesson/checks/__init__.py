"""Instant feedback for the exercises: each check runs a learner's function on small cases,
with no grading system needed.

On success a check prints one line ("rnn_cell_forward: all checks passed"); on failure it
raises `CheckFailure`, an ``AssertionError`` that IPython shows as its message alone: what was
expected, what arrived and where to look (the shape in the lecture's letters, the term or
gradient that is wrong, an argument modified in place, the line of the learner's code that
raised). Its last line names the mistake for the grader, ``[mistake: ex05/tanh-derivative-
not-squared]``; `mistake_ids` reads those ids back from any text. A learner's function that
runs the package's own answer fails with ``exNN/uses-reference`` (see `_guard`). Checks of
random draws measure frequencies; they never match one draw exactly.
"""

from rnnlesson.checks._common import CheckFailure, guarded, mistake_ids
from rnnlesson.checks.attention import check_attention_context, check_attention_context_shapes
from rnnlesson.checks.backward import (
    check_rnn_backward,
    check_rnn_cell_backward,
    check_rnn_cell_backward_shapes,
)
from rnnlesson.checks.beam import check_beam_search, check_beam_search_greedy
from rnnlesson.checks.bidirectional import (
    check_bidirectional_rnn_forward,
    check_reverse_within_lengths,
)
from rnnlesson.checks.bleu import (
    check_brevity_penalty,
    check_clipped_matches,
    check_corpus_bleu,
)
from rnnlesson.checks.ctc import check_ctc_forward
from rnnlesson.checks.embedding import check_embedding_backward, check_embedding_forward
from rnnlesson.checks.encoding import (
    check_build_vocabulary,
    check_encode_batch,
    check_one_hot_sentence,
)
from rnnlesson.checks.forward import check_rnn_cell_forward, check_rnn_cell_forward_shapes
from rnnlesson.checks.generation import check_clip_by_global_norm, check_sample
from rnnlesson.checks.gradcheck import check_bptt_gradient_check
from rnnlesson.checks.loop import check_rnn_forward, check_rnn_forward_shapes
from rnnlesson.checks.lstm import (
    check_lstm_cell_backward,
    check_lstm_cell_backward_shapes,
    check_lstm_cell_forward,
    check_lstm_cell_forward_shapes,
)
from rnnlesson.checks.sentiment import (
    check_held_out_accuracy,
    check_predict,
    check_train_sentiment,
)
from rnnlesson.checks.topologies import SIZES, check_task_shapes
from rnnlesson.checks.truncated import check_rnn_backward_truncated

__all__ = [
    "SIZES", "CheckFailure", "check_attention_context", "check_attention_context_shapes",
    "check_beam_search", "check_beam_search_greedy", "check_bidirectional_rnn_forward",
    "check_bptt_gradient_check",
    "check_brevity_penalty", "check_clipped_matches", "check_corpus_bleu",
    "check_build_vocabulary", "check_clip_by_global_norm", "check_ctc_forward",
    "check_embedding_backward", "check_embedding_forward",
    "check_encode_batch",
    "check_held_out_accuracy", "check_lstm_cell_backward", "check_lstm_cell_backward_shapes",
    "check_lstm_cell_forward", "check_lstm_cell_forward_shapes", "check_one_hot_sentence",
    "check_predict", "check_rnn_backward",
    "check_rnn_backward_truncated", "check_rnn_cell_backward", "check_rnn_cell_backward_shapes",
    "check_rnn_cell_forward", "check_rnn_cell_forward_shapes", "check_rnn_forward",
    "check_rnn_forward_shapes", "check_reverse_within_lengths", "check_sample",
    "check_task_shapes", "check_train_sentiment",
    "guarded", "mistake_ids",
]
