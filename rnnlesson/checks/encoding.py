"""Checks of exercise 1: turning sentences into arrays (a vocabulary, one-hot columns, a
padded batch of ids).

Letters: n_x vocabulary size, T_x words in a sentence, m sentences.
"""

import numpy as np

from rnnlesson.checks._common import call, passed, shape_text, snapshot

PAD = "<pad>"
SENTENCES = ["the cat sat", "a dog ran to the cat", "the dog sat on a mat"]


def reference_vocabulary(sentences):
    return [PAD] + sorted({word for s in sentences for word in s.split()} - {PAD})


def check_build_vocabulary(build_vocabulary):
    """Check build_vocabulary(sentences) -> ["<pad>", then every distinct word, sorted]."""
    name = "build_vocabulary"
    args = {"sentences": list(SENTENCES)}
    originals = snapshot(args)
    vocab = call(build_vocabulary, name, (args["sentences"],), f"sentences = {SENTENCES}")
    if args["sentences"] != originals["sentences"]:
        raise AssertionError(f"{name} modified its argument sentences in place (sorted or "
                             "changed the list); build a new list instead.")
    expected = reference_vocabulary(SENTENCES)
    if not isinstance(vocab, (list, tuple)):
        raise AssertionError(f"{name} should return a list of words, received "
                             f"{shape_text(vocab)}.")
    vocab = list(vocab)
    if vocab == expected:
        passed(name)
        return
    if not vocab or vocab[0] != PAD:
        raise AssertionError(f"{name}: the first symbol should be the padding symbol '{PAD}' "
                             f"(id 0); yours starts with {vocab[:1]}.")
    words = vocab[1:]
    if any(len(w) == 1 for w in words) and "cat" not in words:
        raise AssertionError(f"{name}: the vocabulary holds single characters; split each "
                             "sentence into words with sentence.split().")
    duplicates = sorted({w for w in words if words.count(w) > 1})
    if duplicates:
        raise AssertionError(f"{name}: each word should appear once; {duplicates} appear more "
                             "than once (use a set).")
    missing = sorted(set(expected) - set(vocab))
    extra = sorted(set(vocab) - set(expected))
    if missing or extra:
        raise AssertionError(f"{name}: for {SENTENCES} the words should be {expected[1:]}; "
                             f"missing {missing}, unexpected {extra}.")
    raise AssertionError(f"{name}: after '{PAD}' the words should be sorted alphabetically: "
                         f"{expected}; received {vocab}.")


def check_one_hot_sentence(one_hot_sentence):
    """Check one_hot_sentence(sentence, vocab) -> (n_x, T_x) floats, column t = e_i for the
    id i of word t."""
    name = "one_hot_sentence"
    vocab = reference_vocabulary(SENTENCES)
    sentence = "a dog ran to the cat"
    words = sentence.split()
    n_x, T_x = len(vocab), len(words)
    args = {"vocab": list(vocab)}
    result = call(one_hot_sentence, name, (sentence, args["vocab"]),
                  f"sentence = {sentence!r} and vocab = {vocab}")
    if args["vocab"] != vocab:
        raise AssertionError(f"{name} modified its argument vocab in place.")
    if not isinstance(result, np.ndarray) or result.shape != (n_x, T_x):
        hint = ""
        if getattr(result, "shape", None) == (T_x, n_x):
            hint = " It is transposed: one column per word, one row per vocabulary entry."
        raise AssertionError(f"{name}: for a sentence of T_x = {T_x} words and a vocabulary of "
                             f"n_x = {n_x} symbols the result should have shape (n_x, T_x) = "
                             f"{(n_x, T_x)}; received {shape_text(result)}.{hint}")
    if not np.issubdtype(result.dtype, np.floating):
        raise AssertionError(f"{name}: the one-hot array should hold floats (the network "
                             f"multiplies it by Wax); received dtype {result.dtype}.")
    for t, word in enumerate(words):
        column = result[:, t]
        i = vocab.index(word)
        if not (np.all((column == 0) | (column == 1)) and column.sum() == 1):
            raise AssertionError(f"{name}: column {t} (the word {word!r}) should hold a single 1 "
                                 f"and zeros elsewhere; it holds {column.tolist()}.")
        if column[i] != 1:
            raise AssertionError(f"{name}: column {t} (the word {word!r}) should have its 1 in "
                                 f"row {i}, the word's id (its position in vocab); it is in "
                                 f"row {int(np.argmax(column))}.")
    passed(name)


def check_encode_batch(encode_batch):
    """Check encode_batch(sentences, vocab) -> ids (m, T_x) ints padded with 0, lengths (m,)."""
    name = "encode_batch"
    vocab = reference_vocabulary(SENTENCES)
    args = {"sentences": list(SENTENCES), "vocab": list(vocab)}
    originals = snapshot(args)
    result = call(encode_batch, name, (args["sentences"], args["vocab"]),
                  f"sentences = {SENTENCES} and vocab = {vocab}")
    if args != originals:
        raise AssertionError(f"{name} modified its arguments in place.")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"{name} should return two arrays (ids, lengths); received "
                             f"{shape_text(result)}.")
    ids, lengths = result
    words = [s.split() for s in SENTENCES]
    m, T_x = len(words), max(len(w) for w in words)
    if not isinstance(lengths, np.ndarray) or lengths.shape != (m,):
        raise AssertionError(f"{name}: lengths should be an array of shape (m,) = ({m},), one "
                             f"word count per sentence; received {shape_text(lengths)}.")
    if lengths.tolist() != [len(w) for w in words]:
        raise AssertionError(f"{name}: lengths should count each sentence's words: "
                             f"{[len(w) for w in words]}; received {lengths.tolist()}.")
    if not isinstance(ids, np.ndarray) or ids.shape != (m, T_x):
        hint = " It is transposed: one row per sentence." if getattr(ids, "shape", None) == (
            T_x, m) else ""
        raise AssertionError(f"{name}: ids should have shape (m, T_x) = {(m, T_x)}: m sentences, "
                             "T_x the length of the longest one; received "
                             f"{shape_text(ids)}.{hint}")
    if not np.issubdtype(ids.dtype, np.integer):
        raise AssertionError(f"{name}: ids should be integers, received dtype {ids.dtype}.")
    for i, sentence in enumerate(words):
        expected = [vocab.index(w) for w in sentence] + [0] * (T_x - len(sentence))
        if ids[i].tolist() != expected:
            padding = ids[i, len(sentence):].tolist()
            hint = (" The padding should be 0, the id of '<pad>'." if padding and
                    any(p != 0 for p in padding) else "")
            raise AssertionError(f"{name}: row {i} ({SENTENCES[i]!r}) should be {expected}; "
                                 f"received {ids[i].tolist()}.{hint}")
    passed(name)
