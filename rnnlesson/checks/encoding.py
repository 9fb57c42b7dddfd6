"""Checks of exercise 1: turning sentences into arrays (a vocabulary, one-hot columns, a
padded batch of ids).

Letters: n_x vocabulary size, T_x words in a sentence, m sentences.
"""

import numpy as np

from rnnlesson.checks._common import (
    CheckFailure,
    call,
    lecture_shapes,
    mistake,
    one_message,
    passed,
    shape_text,
    snapshot,
)
from rnnlesson.checks._differential import Probe, Spec, differential

PAD = "<pad>"
SENTENCES = ["the cat sat", "a dog ran to the cat", "the dog sat on a mat"]
# Sorted as strings, "2" and "Zoe" come before "<pad>": it must be put first by hand.
OTHER_SENTENCES = ["Zoe has 2 cats", "the cats sat"]
NAME_VOCAB, NAME_ONE_HOT, NAME_BATCH = "build_vocabulary", "one_hot_sentence", "encode_batch"


def reference_vocabulary(sentences):
    return [PAD] + sorted({word for s in sentences for word in s.split()} - {PAD})


@one_message(NAME_VOCAB)
def check_build_vocabulary(build_vocabulary):
    """Check build_vocabulary(sentences) -> ["<pad>", then every distinct word, sorted]."""
    for sentences in (SENTENCES, OTHER_SENTENCES):
        check_vocabulary(build_vocabulary, sentences)
    general(NAME_VOCAB, build_vocabulary)
    passed(NAME_VOCAB)


def check_vocabulary(build_vocabulary, sentences):
    name = NAME_VOCAB
    args = {"sentences": list(sentences)}
    originals = snapshot(args)
    vocab = call(build_vocabulary, name, (args["sentences"],), f"sentences = {sentences}")
    if args["sentences"] != originals["sentences"]:
        raise mistake(name, "changes-its-input", f"{name} modified its argument sentences in "
                      "place (sorted or changed the list); build a new list instead.")
    expected = reference_vocabulary(sentences)
    if not isinstance(vocab, list):
        raise mistake(name, "not-a-list", f"{name} should return a list of words, received "
                      f"{shape_text(vocab)}.")
    if vocab == expected:
        return
    words = [w for w in vocab if w != PAD]
    if PAD not in vocab:
        raise mistake(name, "pad-missing", f"{name}: the first symbol should be the padding "
                      f"symbol '{PAD}' (id 0); yours has no '{PAD}' (it starts with "
                      f"{vocab[:1]}).")
    if vocab[0] != PAD:
        if vocab == sorted(vocab):
            raise mistake(name, "pad-sorted-with-words", f"{name}: '{PAD}' was sorted with the "
                          f"words, so it lands after {vocab[:vocab.index(PAD)]} (for "
                          f"{sentences}). Put it first by hand: ['{PAD}'] + sorted(words).")
        raise mistake(name, "pad-not-first", f"{name}: the first symbol should be the padding "
                      f"symbol '{PAD}' (id 0); yours is at position {vocab.index(PAD)}.")
    if all(len(w) == 1 for w in words) and any(len(w) > 1 for w in expected):
        raise mistake(name, "characters", f"{name}: the vocabulary holds single characters; "
                      "split each sentence into words with sentence.split().")
    duplicates = sorted({w for w in words if words.count(w) > 1})
    if duplicates:
        raise mistake(name, "duplicates", f"{name}: each word should appear once; {duplicates} "
                      "appear more than once (use a set).")
    general(NAME_VOCAB, build_vocabulary)
    missing = sorted(set(expected) - set(vocab))
    extra = sorted(set(vocab) - set(expected))
    if missing or extra:
        raise mistake(name, "wrong-words", f"{name}: for {sentences} the words should be "
                      f"{expected[1:]}; missing {missing}, unexpected {extra}.")
    raise mistake(name, "not-sorted", f"{name}: after '{PAD}' the words should be sorted "
                  f"alphabetically: {expected}; received {vocab}.")


@one_message(NAME_ONE_HOT)
def check_one_hot_sentence(one_hot_sentence):
    """Check one_hot_sentence(sentence, vocab) -> (n_x, T_x) floats, column t = e_i for the
    id i of word t."""
    name = NAME_ONE_HOT
    vocab = reference_vocabulary(SENTENCES)
    sentence = "a dog ran to the cat"
    words = sentence.split()
    n_x, T_x = len(vocab), len(words)
    args = {"vocab": list(vocab)}
    result = call(one_hot_sentence, name, (sentence, args["vocab"]),
                  f"sentence = {sentence!r} and vocab = {vocab}")
    if args["vocab"] != vocab:
        raise mistake(name, "changes-its-input", f"{name} modified its argument vocab in "
                      "place.")
    if not isinstance(result, np.ndarray):
        raise mistake(name, "not-an-array", f"{name} should return a numpy array of shape "
                      f"(n_x, T_x) = {(n_x, T_x)}; received {shape_text(result)}.")
    if result.shape == (T_x, n_x):
        raise mistake(name, "transposed", f"{name}: the result should have shape (n_x, T_x) = "
                      f"{(n_x, T_x)}; received {result.shape}. It is transposed: one column "
                      "per word, one row per vocabulary entry.")
    if result.shape != (n_x, T_x):
        read_one_hot(result, {"sentence": sentence, "vocab": vocab})  # names its rows' mistake
        raise mistake(name, "wrong-shape", f"{name}: for a sentence of T_x = {T_x} words and a "
                      f"vocabulary of n_x = {n_x} symbols the result should have shape "
                      f"(n_x, T_x) = {(n_x, T_x)}; received {result.shape}.")
    if not np.issubdtype(result.dtype, np.floating):
        raise mistake(name, "not-floats", f"{name}: the one-hot array should hold floats (the "
                      f"network multiplies it by Wax); received dtype {result.dtype}.")
    for t, word in enumerate(words):
        column = result[:, t]
        i = vocab.index(word)
        if not (np.all((column == 0) | (column == 1)) and column.sum() == 1):
            every = sorted({vocab.index(w) for w in words})
            if all(sorted(np.flatnonzero(result[:, s]).tolist()) == every
                   for s in range(T_x)):
                raise mistake(name, "not-one-hot", f"{name}: every column holds a 1 at every "
                              f"word of the sentence (rows {every}), not only at its own: "
                              "indexing with the ids and a slice (x[ids, :] or x[ids, :T_x]) "
                              "pairs every id with every column. Pair each id with its own "
                              "column: x[ids, np.arange(T_x)] = 1, or one column at a time.")
            raise mistake(name, "not-one-hot", f"{name}: column {t} (the word {word!r}) should "
                          f"hold a single 1 and zeros elsewhere; it holds {column.tolist()}.")
        if column[i] != 1:
            repeated = "the cat sat on the mat"  # a set would drop the second 'the'
            read_one_hot(call(one_hot_sentence, name, (repeated, list(vocab)),
                              f"sentence = {repeated!r} and vocab = {vocab}"),
                         {"sentence": repeated, "vocab": vocab})
            general(name, one_hot_sentence)
            raise mistake(name, "wrong-row", f"{name}: column {t} (the word {word!r}) should "
                          f"have its 1 in row {i}, the word's id (its position in vocab); it "
                          f"is in row {int(np.argmax(column))}.")
    # a repeated word next, whatever the order a set of this sentence's words happened to
    # come out in (it depends on the process's string hashing): a set drops the second 'the'
    for other in ("the cat sat on the mat",
                  "a cat sat"):  # the vocabulary's last words ('the', 'to') are not in it
        read_one_hot(call(one_hot_sentence, name, (other, list(vocab)),
                          f"sentence = {other!r} and vocab = {vocab}"),
                     {"sentence": other, "vocab": vocab})
    general(name, one_hot_sentence)
    passed(name)


@one_message(NAME_BATCH)
def check_encode_batch(encode_batch):
    """Check encode_batch(sentences, vocab) -> ids (m, T_x) ints padded with 0 on the right,
    lengths (m,) ints: a tuple of two arrays. Run on two batches whose longest sentences
    differ, so that T_x must come from the sentences."""
    check_batch(encode_batch, SENTENCES)
    T_x = max(len(s.split()) for s in SENTENCES)
    try:
        check_batch(encode_batch, OTHER_SENTENCES)
    except CheckFailure as err:
        if f"received ({len(OTHER_SENTENCES)}, {T_x})" not in err.message:
            raise
        raise mistake(NAME_BATCH, "hard-coded-length", f"{err.message} It is as long as the "
                      f"longest sentence of the first batch ({T_x} words): take T_x from the "
                      "sentences, the length of the longest one, instead of writing it in."
                      ) from None
    general(NAME_BATCH, encode_batch)
    passed(NAME_BATCH)


def check_batch(encode_batch, sentences):
    """One round of check_encode_batch, on the given sentences."""
    name = NAME_BATCH
    vocab = reference_vocabulary(sentences)
    args = {"sentences": list(sentences), "vocab": list(vocab)}
    originals = snapshot(args)
    result = call(encode_batch, name, (args["sentences"], args["vocab"]),
                  f"sentences = {sentences} and vocab = {vocab}",
                  shapes=lecture_shapes(m=len(sentences),
                                        T_x=max(len(s.split()) for s in sentences)))
    if args != originals:
        raise mistake(name, "changes-its-input", f"{name} modified its arguments in place.")
    if not isinstance(result, tuple) or len(result) != 2:
        raise mistake(name, "wrong-return", f"{name} should return a tuple of two arrays "
                      f"(ids, lengths); received {shape_text(result)}.")
    ids, lengths = result
    words = [s.split() for s in sentences]
    m, T_x = len(words), max(len(w) for w in words)
    counts = [len(w) for w in words]
    if not isinstance(lengths, np.ndarray) or lengths.shape != (m,) \
            or not np.issubdtype(lengths.dtype, np.integer):
        raise mistake(name, "lengths-not-an-int-array", f"{name}: lengths should be an int array "
                      f"of shape (m,) = ({m},), one word count per sentence; received "
                      f"{shape_text(lengths)}"
                      + (f" of dtype {lengths.dtype}" if isinstance(lengths, np.ndarray) else "")
                      + ".")
    if lengths.tolist() != counts:
        if lengths.tolist() == [len(s) for s in sentences]:
            raise mistake(name, "lengths-count-characters", f"{name}: lengths should count "
                          f"each sentence's words: {counts}; yours count its characters "
                          f"{lengths.tolist()} (len of the sentence). Count the words: "
                          "len(sentence.split()); T_x, the longest, follows from them.")
        if lengths.tolist() != [T_x] * m and isinstance(ids, np.ndarray) \
                and ids.shape == (m, T_x):
            general(name, encode_batch)  # ids as wide as the words: which sentence is where
        padded = (" Yours are all T_x, the padded length: you counted the padded rows. Count "
                  "each sentence's own words, len(sentence.split()), before padding."
                  if lengths.tolist() == [T_x] * m and len(set(counts)) > 1 else "")
        raise mistake(name, "lengths-wrong", f"{name}: lengths should count each sentence's "
                      f"words: {counts}; received {lengths.tolist()}.{padded}")
    if not isinstance(ids, np.ndarray):
        raise mistake(name, "ids-not-an-array", f"{name}: ids should be a numpy array of shape "
                      f"(m, T_x) = {(m, T_x)}; received {shape_text(ids)}.")
    if ids.shape == (T_x, m):
        raise mistake(name, "transposed", f"{name}: ids should have shape (m, T_x) = "
                      f"{(m, T_x)}; received {ids.shape}. It is transposed: one row per "
                      "sentence.")
    if ids.shape != (m, T_x):
        raise mistake(name, "wrong-shape", f"{name}: ids should have shape (m, T_x) = "
                      f"{(m, T_x)}: m sentences, T_x the length of the longest one; received "
                      f"{ids.shape}.")
    if not np.issubdtype(ids.dtype, np.integer):
        raise mistake(name, "ids-not-ints", f"{name}: ids should be integers, received dtype "
                      f"{ids.dtype}.")
    for i, sentence in enumerate(words):
        own = [vocab.index(w) for w in sentence]
        padding = [0] * (T_x - len(sentence))
        row = ids[i].tolist()
        if row == own + padding:
            continue
        if padding and row == padding + own:
            raise mistake(name, "padding-on-the-left", f"{name}: row {i} ({sentences[i]!r}) is "
                          f"padded on the left, {row}; put the words first and the padding "
                          f"after them: {own + padding} (the network reads from t = 0).")
        if padding and row[:len(own)] == own and any(p != 0 for p in row[len(own):]):
            raise mistake(name, "padding-not-zero", f"{name}: row {i} ({sentences[i]!r}) should "
                          f"be {own + padding}; received {row}. The padding should be 0, the "
                          f"id of '{PAD}'.")
        general(name, encode_batch)
        raise mistake(name, "wrong-ids", f"{name}: row {i} ({sentences[i]!r}) should be "
                      f"{own + padding}, each word's id its position in vocab; received {row}.")


# --- the general check (random sentences, the smallest failing case, the part at fault) ---

WORDS = ["the", "cat", "Zoe", "2", "a", "mat", "dog", "ran", "on", "sat", "zebra", "10"]


SPACES = (" ", " ", " ", "  ")  # what sentence.split() reads as one break


def build_sentences(sizes, rng, simple, pad_word=False):
    """m sentences of 1 to `words` words drawn from a pool of `pool` words (repeats likely);
    beyond the simplest cases, words are sometimes separated by two spaces, and a
    sentence may end with a space, as typed text is; pad_word: now and then a sentence holds
    the word '<pad>' itself (the vocabulary must still list it once)."""
    pool = WORDS[:sizes["pool"]] if simple else list(rng.permutation(WORDS)[:sizes["pool"]])
    sentences = []
    for _ in range(sizes["m"]):
        words = [str(w) for w in rng.choice(pool, size=int(rng.integers(1, sizes["words"] + 1)))]
        if pad_word and not simple and rng.random() < 0.1:  # a text holding the symbol itself
            words[int(rng.integers(len(words)))] = PAD
        if simple:
            sentences.append(" ".join(words))
            continue
        gaps = [str(rng.choice(SPACES)) for _ in words[1:]]
        tail = " " if rng.random() < 0.2 else ""
        sentences.append("".join(w + g for w, g in zip(words, gaps + [""], strict=True)) + tail)
    return sentences


def split_on_one_space(vocab):
    """A word of the learner's vocabulary that only splitting at single spaces makes."""
    odd = [w for w in vocab if isinstance(w, str) and w.strip() == ""]
    return odd[0] if odd else None


def build_vocab_inputs(sizes, rng, simple):
    return {"sentences": build_sentences(sizes, rng, simple, pad_word=True)}


def vocabulary_outputs(vocab):
    """The vocabulary read three ways: its first symbol, its words as a set, the whole list."""
    return {"vocab": list(vocab), "the first symbol": vocab[0] if vocab else None,
            "the set of words": sorted(set(vocab) - {PAD})}


def read_vocabulary(result, inputs):
    if not isinstance(result, list):
        raise mistake(NAME_VOCAB, "not-a-list", f"{NAME_VOCAB} should return a list of words, "
                      f"received {shape_text(result)}.")
    if result.count(PAD) > 1:
        raise mistake(NAME_VOCAB, "pad-twice", f"{NAME_VOCAB}: for sentences = "
                      f"{inputs['sentences']!r} your vocabulary holds '{PAD}' "
                      f"{result.count(PAD)} times: a sentence that contains the word '{PAD}' "
                      "must not add it again. Leave it out of the words before sorting "
                      f"(words - {{'{PAD}'}}): it is listed once, first.")
    odd = split_on_one_space(result)
    if odd is not None:
        raise mistake(NAME_VOCAB, "split-on-one-space", f"{NAME_VOCAB}: for sentences = "
                      f"{inputs['sentences']!r} your vocabulary holds the word {odd!r}. "
                      "Splitting at single spaces (split(' ')) makes a word of the gap between "
                      "two spaces or after a trailing space; sentence.split() splits at any run "
                      "of spaces and makes only the words.")
    return vocabulary_outputs(result)


VOCAB_SPEC = Spec(
    NAME_VOCAB, {"m": (1, 3), "words": (1, 4), "pool": (2, 8)},
    build_vocab_inputs, lambda sentences: vocabulary_outputs(reference_vocabulary(sentences)),
    read_vocabulary,
    terms={"pad": f"the padding symbol '{PAD}' first (id 0)",
           "words": "the words: every distinct word of the sentences (sentence.split()), once",
           "vocab-order": f"the vocabulary's order: after '{PAD}' the words sorted alphabetically "
                    "(sorted(...)), each once"},
    depends={"the first symbol": {"pad"}, "the set of words": {"words"},
             "vocab": {"pad", "words", "vocab-order"}},
    cover=True,  # a wrong set of words is the words' fault alone, never the order's
    hint="Split each sentence with sentence.split().")


def build_one_hot_inputs(sizes, rng, simple):
    """A sentence and a vocabulary built from it and from one more sentence of the same pool,
    so that the vocabulary often holds words the sentence does not (its last word among them:
    the number of rows is n_x = len(vocab), not the largest id of the sentence's words + 1)."""
    sentences = build_sentences({**sizes, "m": 2}, rng, simple)
    return {"sentence": sentences[0], "vocab": reference_vocabulary(sentences)}


def one_hot_outputs(x):
    """x read three ways: each column's sum, the rows of its 1s in any order, x itself."""
    return {"x": x, "the column sums": x.sum(axis=0),
            "the rows of the 1s, in any order": sorted(np.argmax(x, axis=0).tolist())}


def reference_one_hot(sentence, vocab):
    ids = [vocab.index(word) for word in sentence.split()]
    return one_hot_outputs(np.eye(len(vocab))[:, ids])


def read_one_hot(result, inputs):
    name, vocab = NAME_ONE_HOT, inputs["vocab"]
    words = inputs["sentence"].split()
    shape = (len(vocab), len(words))
    if not isinstance(result, np.ndarray):
        raise mistake(name, "not-an-array", f"{name} should return a numpy array of shape "
                      f"(n_x, T_x) = {shape}; received {shape_text(result)}.")
    if result.shape != shape and result.shape == (len(vocab), len(set(words))):
        raise mistake(name, "a-set-of-words", f"{name}: for {inputs['sentence']!r} the result "
                      f"should have shape (n_x, T_x) = {shape}, one column per word; yours has "
                      f"{result.shape}, one per distinct word: a set drops the repeated words "
                      "and their order. Go through sentence.split() in order.")
    if result.shape != shape and result.shape[1:] == shape[1:] and result.shape[0] == 1 + max(
            vocab.index(word) for word in words):
        raise mistake(name, "rows-from-the-ids", f"{name}: for {inputs['sentence']!r} and a "
                      f"vocabulary of {len(vocab)} symbols the result should have n_x = "
                      f"len(vocab) = {len(vocab)} rows, one per symbol; yours has "
                      f"{result.shape[0]}, the largest id of the sentence's words + 1. Every "
                      "one-hot column has a row for every symbol of the vocabulary, used in "
                      "the sentence or not.")
    if result.shape != shape:
        raise mistake(name, "wrong-shape", f"{name}: for {inputs['sentence']!r} the result "
                      f"should have shape (n_x, T_x) = {shape}; received {result.shape}.")
    return one_hot_outputs(result.astype(float))


ONE_HOT_SPEC = Spec(
    NAME_ONE_HOT, {"m": (1, 1), "words": (1, 5), "pool": (2, 8)},
    build_one_hot_inputs, reference_one_hot, read_one_hot,
    terms={"one-hot": "the one-hot columns: a single 1 in each column, zeros elsewhere",
           "ids": "the rows of the 1s: each word's id, its position in vocab",
           "column-order": "the columns' order: word t of sentence.split() in column t"},
    depends={"the column sums": {"one-hot"}, "the rows of the 1s, in any order": {"one-hot", "ids"},
             "x": {"one-hot", "ids", "column-order"}},
    probes=[Probe("with a sentence of one word", lambda inputs: {
        **inputs, "sentence": inputs["sentence"].split()[0]}, frozenset({"one-hot", "ids"}))],
    hint="Column t is the one-hot column of word t.")


def build_batch_inputs(sizes, rng, simple):
    sentences = build_sentences(sizes, rng, simple)
    return {"sentences": sentences, "vocab": reference_vocabulary(sentences)}


def batch_outputs(ids, lengths):
    """ids and lengths, and each read in ways that forget one order."""
    return {"ids": ids, "lengths": lengths,
            "the rows, in any order": sorted(map(tuple, ids.tolist())),
            "the lengths, in any order": sorted(lengths.tolist()),
            "each row's ids, in any order": [sorted(row) for row in ids.tolist()]}


def reference_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(row) for row in rows)
    return batch_outputs(np.array([row + [0] * (T_x - len(row)) for row in rows]),
                         np.array([len(row) for row in rows]))


def read_batch(result, inputs):
    name, sentences = NAME_BATCH, inputs["sentences"]
    m, T_x = len(sentences), max(len(s.split()) for s in sentences)
    if not isinstance(result, tuple) or len(result) != 2:
        raise mistake(name, "wrong-return", f"{name} should return a tuple of two arrays "
                      f"(ids, lengths); received {shape_text(result)}.")
    ids, lengths = result
    if not isinstance(lengths, np.ndarray) or lengths.shape != (m,):
        raise mistake(name, "lengths-not-an-int-array", f"{name}: lengths should be an int "
                      f"array of shape (m,) = ({m},); received {shape_text(lengths)}.")
    if not isinstance(ids, np.ndarray) or ids.shape != (m, T_x):
        raise mistake(name, "wrong-shape", f"{name}: ids should have shape (m, T_x) = "
                      f"{(m, T_x)}: m sentences, T_x the length of the longest one; received "
                      f"{shape_text(ids)}.")
    return batch_outputs(ids, lengths)


BATCH_SPEC = Spec(
    NAME_BATCH, {"m": (1, 3), "words": (1, 4), "pool": (2, 8)},
    build_batch_inputs, reference_batch, read_batch,
    terms={"sentence-order": "the sentences' order: row i (and lengths[i]) is sentence i, in the "
                    "order given",
           "ids": "the word ids: each word's position in vocab",
           "padding": f"the padding: id 0 ('{PAD}') after each sentence's words",
           "word-order": "the words' order within a row: word t of the sentence in column t",
           "lengths": "the lengths: each sentence's word count"},
    depends={"ids": {"sentence-order", "ids", "padding", "word-order"},
             "lengths": {"sentence-order", "lengths"},
             "the rows, in any order": {"ids", "padding", "word-order"},
             "the lengths, in any order": {"lengths"},
             "each row's ids, in any order": {"sentence-order", "ids", "padding"}},
    probes=[Probe("with one sentence", lambda inputs: {**inputs, "sentences": inputs[
        "sentences"][:1]}, frozenset({"ids", "padding", "word-order", "lengths"})),
            Probe("with sentences of one word", lambda inputs: {**inputs, "sentences": [
                s.split()[0] for s in inputs["sentences"]]},
                frozenset({"ids", "lengths"}))],
    hint="Row i holds the ids of sentence i's words.")

SPECS = {NAME_VOCAB: VOCAB_SPEC, NAME_ONE_HOT: ONE_HOT_SPEC, NAME_BATCH: BATCH_SPEC}


def general(name, fn):
    """The general check of the function name (random sentences, the smallest failing case,
    the part at fault)."""
    differential(SPECS[name], fn)
