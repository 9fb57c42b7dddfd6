"""Exercise 1: build_vocabulary, one_hot_sentence, encode_batch."""

PRELUDE = "import numpy as np"

RIGHT_VOCAB = '''
def build_vocabulary(sentences):
    words = {word for sentence in sentences for word in sentence.split()}
    return ["<pad>"] + sorted(words - {"<pad>"})
'''

ANSWERS = [
    # --- build_vocabulary
    {"name": "a set, then sorted", "right": True, "checks": ["check_build_vocabulary"],
     "code": RIGHT_VOCAB},
    {"name": "a loop over the words", "right": True, "checks": ["check_build_vocabulary"],
     "code": '''
def build_vocabulary(sentences):
    seen = []
    for sentence in sentences:
        for word in sentence.split():
            if word not in seen and word != "<pad>":
                seen.append(word)
    seen.sort()
    return ["<pad>"] + seen
'''},
    {"name": "<pad> sorted with the words", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/pad-sorted-with-words", "says": ["sorted with the words", "first"],
     "code": '''
def build_vocabulary(sentences):
    words = {word for sentence in sentences for word in sentence.split()}
    return sorted(words | {"<pad>"})
'''},
    {"name": "no padding symbol", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/pad-missing", "says": ["<pad>", "id 0"], "code": '''
def build_vocabulary(sentences):
    return sorted({word for sentence in sentences for word in sentence.split()})
'''},
    {"name": "<pad> last", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/pad-not-first", "says": ["<pad>", "position"], "code": '''
def build_vocabulary(sentences):
    return sorted({word for sentence in sentences for word in sentence.split()}) + ["<pad>"]
'''},
    {"name": "order of first appearance", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/vocab-order-wrong", "says": ["the vocabulary's order",
                                                  "sorted alphabetically"], "code": '''
def build_vocabulary(sentences):
    words = [w for s in sentences for w in s.split()]
    return ["<pad>"] + list(dict.fromkeys(words))
'''},
    {"name": "every occurrence kept", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/duplicates", "says": ["once", "set"], "code": '''
def build_vocabulary(sentences):
    return ["<pad>"] + sorted(w for s in sentences for w in s.split())
'''},
    {"name": "characters instead of words", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/characters", "says": ["single characters", "split"], "code": '''
def build_vocabulary(sentences):
    return ["<pad>"] + sorted({c for s in sentences for c in s})
'''},
    {"name": "the list sorted in place", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/changes-its-input", "says": ["in place"], "code": '''
def build_vocabulary(sentences):
    sentences.sort()
    return ["<pad>"] + sorted({w for s in sentences for w in s.split()})
'''},
    {"name": "a tuple", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/not-a-list", "says": ["list"], "code": '''
def build_vocabulary(sentences):
    return ("<pad>",) + tuple(sorted({w for s in sentences for w in s.split()}))
'''},
    {"name": "the package's Vocabulary", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/uses-reference", "says": ["Vocabulary.from_sequences"], "code": '''
import rnnlesson

def build_vocabulary(sentences):
    vocab = rnnlesson.Vocabulary.from_sequences([s.split() for s in sentences],
                                                extra=("<pad>",))
    return list(vocab.symbols)
'''},
    {"name": "a set turned into a list, not sorted", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/vocab-order-wrong", "says": ["the set of words right",
                                                  "the vocabulary's order"], "code": '''
def build_vocabulary(sentences):
    return ["<pad>"] + list(set(w for s in sentences for w in s.split()))
'''},
    {"name": "sorted longest word first", "checks": ["check_build_vocabulary"],
     "mistake": "ex01/vocab-order-wrong", "says": ["sorted alphabetically"], "code": '''
def build_vocabulary(sentences):
    words = {w for s in sentences for w in s.split()}
    return ["<pad>"] + sorted(words, key=lambda w: (-len(w), w))
'''},
    # --- one_hot_sentence
    {"name": "fancy indexing", "right": True, "checks": ["check_one_hot_sentence"], "code": '''
def one_hot_sentence(sentence, vocab):
    ids = [vocab.index(word) for word in sentence.split()]
    x = np.zeros((len(vocab), len(ids)))
    x[ids, np.arange(len(ids))] = 1.0
    return x
'''},
    {"name": "columns of the identity", "right": True, "checks": ["check_one_hot_sentence"],
     "code": '''
def one_hot_sentence(sentence, vocab):
    return np.eye(len(vocab))[:, [vocab.index(w) for w in sentence.split()]]
'''},
    {"name": "as many rows as the largest id needs", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/rows-from-the-ids", "says": ["n_x = len(vocab)", "the largest id"],
     "code": '''
def one_hot_sentence(sentence, vocab):
    ids = [vocab.index(w) for w in sentence.split()]
    x = np.zeros((max(ids) + 1, len(ids)))
    x[ids, np.arange(len(ids))] = 1.0
    return x
'''},
    {"name": "one row per word", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/transposed", "says": ["transposed", "one column per word"], "code": '''
def one_hot_sentence(sentence, vocab):
    return np.eye(len(vocab))[[vocab.index(w) for w in sentence.split()]]
'''},
    {"name": "ints", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/not-floats", "says": ["floats"], "code": '''
def one_hot_sentence(sentence, vocab):
    ids = [vocab.index(word) for word in sentence.split()]
    x = np.zeros((len(vocab), len(ids)), dtype=int)
    x[ids, np.arange(len(ids))] = 1
    return x
'''},
    {"name": "ids counted from 1", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/ids-wrong", "says": ["rows of the 1s", "position in vocab"],
     "code": '''
def one_hot_sentence(sentence, vocab):
    ids = [(vocab.index(word) + 1) % len(vocab) for word in sentence.split()]
    x = np.zeros((len(vocab), len(ids)))
    x[ids, np.arange(len(ids))] = 1.0
    return x
'''},
    {"name": "a list of columns", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/not-an-array", "says": ["numpy array"], "code": '''
def one_hot_sentence(sentence, vocab):
    return [np.eye(len(vocab))[:, vocab.index(w)] for w in sentence.split()]
'''},
    {"name": "the package's one_hot", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/uses-reference", "says": ["rnnlesson.one_hot"], "code": '''
from rnnlesson import one_hot

def one_hot_sentence(sentence, vocab):
    return one_hot(np.array([vocab.index(w) for w in sentence.split()]), len(vocab))
'''},
    {"name": "the words read through a set", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/a-set-of-words", "says": ["one per distinct word", "a set drops"],
     "code": '''
def one_hot_sentence(sentence, vocab):
    words = set(sentence.split())
    x = np.zeros((len(vocab), len(words)))
    for t, word in enumerate(words):
        x[vocab.index(word), t] = 1.0
    return x
'''},
    {"name": "the sentence read backwards", "checks": ["check_one_hot_sentence"],
     "mistake": "ex01/column-order-wrong", "says": ["the columns' order"], "code": '''
def one_hot_sentence(sentence, vocab):
    words = sentence.split()
    x = np.zeros((len(vocab), len(words)))
    for t, word in enumerate(reversed(words)):
        x[vocab.index(word), t] = 1.0
    return x
'''},
    # --- encode_batch
    {"name": "a zero array filled row by row", "right": True, "checks": ["check_encode_batch"],
     "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in sentence.split()] for sentence in sentences]
    lengths = np.array([len(row) for row in rows])
    ids = np.zeros((len(rows), lengths.max()), dtype=int)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return ids, lengths
'''},
    {"name": "lists padded, then one array", "right": True, "checks": ["check_encode_batch"],
     "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([r + [0] * (T_x - len(r)) for r in rows])
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "padding on the left", "checks": ["check_encode_batch"],
     "mistake": "ex01/padding-on-the-left", "says": ["on the left", "after"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([[0] * (T_x - len(r)) + r for r in rows])
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "padding with -1", "checks": ["check_encode_batch"],
     "mistake": "ex01/padding-not-zero", "says": ["padding should be 0"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([r + [-1] * (T_x - len(r)) for r in rows])
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "lengths counted with the padding", "checks": ["check_encode_batch"],
     "mistake": "ex01/lengths-wrong", "says": ["count each sentence's words"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([r + [0] * (T_x - len(r)) for r in rows])
    return ids, np.full(len(rows), T_x)
'''},
    {"name": "lengths as a list", "checks": ["check_encode_batch"],
     "mistake": "ex01/lengths-not-an-int-array", "says": ["int array", "(m,)"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    return np.array([r + [0] * (T_x - len(r)) for r in rows]), [len(r) for r in rows]
'''},
    {"name": "one column per sentence", "checks": ["check_encode_batch"],
     "mistake": "ex01/transposed", "says": ["transposed", "one row per sentence"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([r + [0] * (T_x - len(r)) for r in rows])
    return ids.T, np.array([len(r) for r in rows])
'''},
    {"name": "T_x written in", "checks": ["check_encode_batch"],
     "mistake": "ex01/hard-coded-length", "says": ["take T_x from the sentences"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    ids = np.array([r + [0] * (6 - len(r)) for r in rows])
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "float ids", "checks": ["check_encode_batch"],
     "mistake": "ex01/ids-not-ints", "says": ["integers"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    ids = np.zeros((len(rows), max(len(r) for r in rows)))
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "only the ids", "checks": ["check_encode_batch"],
     "mistake": "ex01/wrong-return", "says": ["two arrays", "(ids, lengths)"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    return np.array([r + [0] * (T_x - len(r)) for r in rows])
'''},
    {"name": "the package's pad_batch", "checks": ["check_encode_batch"],
     "mistake": "ex01/uses-reference", "says": ["rnnlesson.pad_batch"], "code": '''
import rnnlesson

def encode_batch(sentences, vocab):
    return rnnlesson.pad_batch([[vocab.index(w) for w in s.split()] for s in sentences])
'''},
    {"name": "sentences sorted by length", "checks": ["check_encode_batch"],
     "mistake": "ex01/sentence-order-wrong", "says": ["the sentences' order",
                                                     "row i (and lengths[i]) is sentence i"],
     "code": '''
def encode_batch(sentences, vocab):
    sentences = sorted(sentences, key=lambda s: -len(s.split()))
    rows = [[vocab.index(word) for word in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    ids = np.array([r + [0] * (T_x - len(r)) for r in rows])
    return ids, np.array([len(r) for r in rows])
'''},
    {"name": "each word once per sentence", "checks": ["check_encode_batch"],
     "mistake": "ex01/ids-wrong", "says": ["the words' order within a row",
                                           "the lengths, in any order right"],
     "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(word) for word in dict.fromkeys(s.split())] for s in sentences]
    T_x = max(len(s.split()) for s in sentences)
    ids = np.array([r + [0] * (T_x - len(r)) for r in rows])
    return ids, np.array([len(s.split()) for s in sentences])
'''},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
MUTANTS = [
    {
        "function": "build_vocabulary", "spec": "rnnlesson.checks.encoding:VOCAB_SPEC",
        "checks": ["check_build_vocabulary"], "outputs": ["vocab"], "at_least": 8,
        "aliases": {"words": ["words", "the words"], "word": ["words"], "sentences": ["words"],
                    "sentence": ["words"], "sorted": ["sorted", "order"], "<pad>": ["<pad>"]},
    },
    {"function": "one_hot_sentence", "spec": "rnnlesson.checks.encoding:ONE_HOT_SPEC",
     "checks": ["check_one_hot_sentence"], "outputs": ["x"], "at_least": 5,
     "aliases": {"ids": ["id", "ids", "row"], "vocab": ["id", "vocab"],
                 "word": ["word", "words"], "sentence": ["words"], "x": ["column"]}},
    {"function": "encode_batch", "spec": "rnnlesson.checks.encoding:BATCH_SPEC",
     "checks": ["check_encode_batch"], "outputs": ["ids", "lengths"], "at_least": 5,
     "aliases": {"rows": ["ids", "row"], "row": ["ids", "row"], "vocab": ["ids"],
                 "word": ["words"], "sentence": ["sentence", "words"],
                 "lengths": ["lengths", "T_x"]}},
]

# Found by an independent review (fresh mistakes, none of them listed before).
ANSWERS += [
    {"name": 'whole sentences taken as words', "mistake": 'ex01/words-wrong',
     "says": ['The fault is in the words'],
     "checks": ["check_build_vocabulary"],
     "code": '''
def build_vocabulary(sentences):
    """The padding symbol "<pad>", then every distinct word of the sentences, sorted."""
    return ["<pad>"] + sorted(set(sentences))
'''},
]

# Review 8: words read by splitting at single spaces (a double or trailing space makes '' a
# word); filtering the empty words out is right.
ANSWERS += [
    {"name": "split at single spaces", "mistake": "ex01/split-on-one-space",
     "says": ["your vocabulary holds the word ''", "sentence.split()"],
     "checks": ["check_build_vocabulary"],
     "code": '''
def build_vocabulary(sentences):
    words = {w for s in sentences for w in s.split(" ")}
    return ["<pad>"] + sorted(words - {"<pad>"})
'''},
    {"name": "split at single spaces, empty words dropped", "right": True,
     "checks": ["check_build_vocabulary"],
     "code": '''
def build_vocabulary(sentences):
    words = {w for s in sentences for w in s.split(" ") if w}
    return ["<pad>"] + sorted(words - {"<pad>"})
'''},
]

# Review 9: '<pad>' listed twice when a sentence holds it, one-hot rows filled through a
# slice, lengths counted on the padded rows.
ANSWERS += [
    {"name": "'<pad>' kept among the words", "mistake": "ex01/pad-twice",
     "says": ["holds '<pad>' 2 times"], "checks": ["check_build_vocabulary"], "code": '''
def build_vocabulary(sentences):
    return ["<pad>"] + sorted({w for s in sentences for w in s.split()})
'''},
    {"name": "ids paired with a slice of the columns", "mistake": "ex01/not-one-hot",
     "says": ["every column holds a 1 at every word", "x[ids, np.arange(T_x)]"],
     "checks": ["check_one_hot_sentence"], "code": '''
def one_hot_sentence(sentence, vocab):
    ids = [vocab.index(w) for w in sentence.split()]
    x = np.zeros((len(vocab), len(ids)))
    x[ids, :len(ids)] = 1
    return x
'''},
    {"name": "lengths of the padded rows", "mistake": "ex01/lengths-wrong",
     "says": ["you counted the padded rows"], "checks": ["check_encode_batch"], "code": '''
def encode_batch(sentences, vocab):
    rows = [[vocab.index(w) for w in s.split()] for s in sentences]
    T_x = max(len(r) for r in rows)
    rows = [r + [0] * (T_x - len(r)) for r in rows]
    return np.array(rows), np.array([len(r) for r in rows])
'''},
]
