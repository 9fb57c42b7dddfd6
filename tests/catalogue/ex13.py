"""Exercise 13: beam_search over a step function, with an end symbol."""

PRELUDE = '''
import numpy as np
'''
CHECKS = ["check_beam_search_greedy", "check_beam_search"]
FUNCTION = "beam_search"


def searcher(score="log_p + logs[y]", keep="sorted(candidates, key=lambda c: -c[1])[:beam_width]",
             finish="if end is not None and c[0][-1] == end", pool="open_ + finished",
             length="len(c[0])", returned="winner[1]", extend="candidates.append"):
    """The learner's beam search with one line changed."""
    return f'''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beams, finished = [((), 0.0)], []
    for _ in range(n):
        candidates = []
        for prefix, log_p in beams:
            logs = step(prefix)
            for y in range(len(logs)):
                {extend}((prefix + (y,), {score}))
        kept = {keep}
        open_ = []
        for c in kept:
            {finish}:
                finished.append(c)
            else:
                open_.append(c)
        beams = open_
        if not beams:
            break
    pool = {pool}
    winner = max(pool, key=lambda c: c[1] / {length} ** length_norm)
    return winner[0], {returned}
'''


ANSWERS = [
    {"name": "sorted candidates, finished set aside", "right": True, "code": searcher()},
    {"name": "heapq, numpy log-probabilities and lists", "right": True, "code": '''
import heapq


def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beam = [(0.0, [])]
    done = []
    for t in range(n):
        pool = []
        for score, ids in beam:
            log_probs = np.asarray(step(tuple(ids)))
            pool += [(score + float(log_probs[y]), ids + [y]) for y in range(log_probs.size)]
        best = heapq.nlargest(beam_width, pool, key=lambda item: item[0])
        done += [b for b in best if end is not None and b[1][-1] == end]
        beam = [b for b in best if end is None or b[1][-1] != end]
        if not beam:
            break
    score, ids = max(done + beam, key=lambda item: item[0] / len(item[1]) ** length_norm)
    return ids, score
'''},
    {"name": "the k best of each prefix", "mistake": "ex13/best-per-beam",
     "says": ["each prefix", "whole beam"], "code": searcher(
         extend="candidates.append", keep="candidates").replace(
         "            for y in range(len(logs)):",
         "            for y in np.argsort(-logs)[:beam_width]:")},
    {"name": "probabilities added", "mistake": "ex13/probabilities-added",
     "says": ["log-probabilities"], "code": searcher(score="log_p + np.exp(logs[y])")},
    {"name": "finished sequences extended", "mistake": "ex13/continues-after-end",
     "says": ["extended further"], "code": searcher(finish="if False")},
    {"name": "winner among the open ones", "mistake": "ex13/finished-ignored",
     "says": ["open", "compete"], "code": searcher(pool="open_ or finished")},
    {"name": "length without the end symbol", "mistake": "ex13/length-without-end",
     "says": ["count its end symbol"], "code": searcher(
         length="max(len(c[0]) - (end is not None and c[0][-1] == end), 1)")},
    {"name": "the normalised score returned", "mistake": "ex13/score-normalised",
     "says": ["normalised score"], "code": searcher(
         returned="winner[1] / len(winner[0]) ** length_norm")},
    {"name": "the probability returned", "mistake": "ex13/log-p-exponentiated",
     "says": ["exp(log P)", "log-probability itself"],
     "code": searcher(returned="np.exp(winner[1])")},
    {"name": "length normalisation ignored", "mistake": "ex13/length-norm-ignored",
     "says": ["without normalisation"], "code": searcher(length="1")},
    {"name": "always greedy", "mistake": "ex13/greedy-only", "says": ["greedy sequence"],
     "code": searcher(keep="sorted(candidates, key=lambda c: -c[1])[:1]")},
    {"name": "one extra prefix kept", "mistake": "ex13/width-one-not-greedy",
     "says": ["beam_width = 1"], "code": searcher(
         keep="sorted(candidates, key=lambda c: -c[1])[:beam_width + 1]")},
    {"name": "an off-by-one in the steps", "mistake": "ex13/wrong-sequence",
     "says": ["beam search finds"], "checks": ["check_beam_search"],
     "code": searcher().replace("for _ in range(n):", "for _ in range(n - 1):")},
    {"name": "a list [ids, log_p]", "mistake": "ex13/wrong-return",
     "says": ["the tuple (ids, log_p)", "received a list"],
     "code": searcher().replace("return winner[0], winner[1]", "return [winner[0], winner[1]]")},
    {"name": "calls the package's beam search", "mistake": "ex13/uses-reference",
     "says": ["rnnlesson.beam_search"], "code": '''
import rnnlesson


def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    def batch_step(ids, state):
        rows = np.vstack([state[0], ids[None]])
        logs = np.stack([step(tuple(int(v) for v in rows[1:, b])) for b in range(ids.size)], 1)
        return logs, (rows,), None

    out, _, score = rnnlesson.beam_search(batch_step, (np.zeros((0, 1), dtype=int),), 0, n,
                                          beam_width, end, length_norm)
    ids = list(out)
    if end is not None and end in ids:
        ids = ids[: ids.index(end) + 1]
    return ids, score
'''},
]
