"""Exercise 13: beam_search over a step function, with an end symbol."""

PRELUDE = '''
import numpy as np
'''
CHECKS = ["check_beam_search_greedy", "check_beam_search"]
FUNCTION = "beam_search"


def searcher(score="log_p + logs[y]", keep="sorted(candidates, key=lambda c: -c[1])[:beam_width]",
             finish="if end is not None and c[0][-1] == end", pool="open_ + finished",
             length="len(c[0])", returned="winner[1]", extend="candidates.append",
             start="[((), 0.0)]", before="", fresh="candidates = []"):
    """The learner's beam search with one line changed."""
    return f'''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beams, finished = {start}, []
    {before}
    for _ in range(n):
        {fresh}
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


SHARED_LIST = '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beams, finished = [([], 0.0)], []
    for _ in range(n):
        candidates = []
        for prefix, log_p in beams:
            logs = step(prefix)
            for y in range(len(logs)):
                {extend}
                candidates.append((seq, log_p + logs[y]))
        kept = sorted(candidates, key=lambda c: -c[1])[:beam_width]
        beams = []
        for c in kept:
            if end is not None and c[0][-1] == end:
                finished.append(c)
            else:
                beams.append(c)
        if not beams:
            break
    pool = beams + finished
    winner = max(pool, key=lambda c: c[1] / len(c[0]) ** length_norm)
    return list(winner[0]), winner[1]
'''

ANSWERS = [
    {"name": "lists as prefixes, a new one for each extension", "right": True,
     "code": SHARED_LIST.format(extend="seq = prefix + [y]")},
    {"name": "every extension appended to the one prefix list", "mistake": "ex13/prefix-shared",
     "says": ["afterwards that same list held", "prefix + [y]"],
     "code": SHARED_LIST.format(extend="seq = prefix\n                seq.append(y)")},
    {"name": "prefix += [y] on the shared list", "mistake": "ex13/prefix-shared",
     "says": ["afterwards that same list held"],
     "code": SHARED_LIST.format(extend="seq = prefix\n                seq += [y]")},
    {"name": "one prefix kept after the first step", "mistake": "ex13/pruning-wrong",
     "says": ["keeps one prefix", "the first one included"],
     "code": searcher(keep="sorted(candidates, key=lambda c: -c[1])[:beam_width if "
                           "len(candidates[0][0]) > 1 else 1]")},
    {"name": "the end symbol tested by its truth", "mistake": "ex13/continues-after-end",
     "says": ["Here end = 0", "end is not None"],
     "code": searcher(finish="if end and c[0][-1] == end")},
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
    {"name": "one extra prefix kept", "mistake": "ex13/pruning-wrong",
     "says": ["beam_width + 1", "pruning"], "code": searcher(
         keep="sorted(candidates, key=lambda c: -c[1])[:beam_width + 1]")},
    {"name": "an off-by-one in the steps", "mistake": "ex13/stops-early",
     "says": ["extended at each of the n", "UnboundLocalError", "n = 1, beam_width = 1"],
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
    {"name": "a dict keyed by the prefix, numpy's argsort", "right": True, "code": '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beam = {(): 0.0}
    finished = {}
    for _ in range(n):
        scores = {}
        for prefix, score in beam.items():
            logs = np.asarray(step(prefix), dtype=float)
            for y, value in enumerate(logs):
                scores[prefix + (y,)] = score + value
        keys = list(scores)
        order = np.argsort([-scores[k] for k in keys], kind="stable")[:beam_width]
        beam = {}
        for i in order:
            key = keys[i]
            if end is not None and key[-1] == end:
                finished[key] = scores[key]
            else:
                beam[key] = scores[key]
        if not beam:
            break
    every = {**beam, **finished}
    best = max(every, key=lambda k: every[k] / len(k) ** length_norm)
    return best, every[best]
'''},
    {"name": "recursive steps, normalised scores compared in a loop", "right": True,
     "code": '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    def grow(beam, finished, steps_left):
        if steps_left == 0 or not beam:
            return beam + finished
        candidates = [(ids + [y], lp + float(logs_y)) for ids, lp in beam
                      for y, logs_y in enumerate(step(tuple(ids)))]
        candidates.sort(key=lambda c: c[1], reverse=True)
        kept = candidates[:beam_width]
        done = [c for c in kept if c[0][-1] == end]
        still = [c for c in kept if c[0][-1] != end]
        return grow(still, finished + done, steps_left - 1)

    best, best_score = None, -np.inf
    for ids, lp in grow([([], 0.0)], [], n):
        score = lp / len(ids) ** length_norm
        if score > best_score:
            best, best_score = (ids, lp), score
    return tuple(best[0]), best[1]
'''},
    {"name": "open prefixes compete only while nothing has finished",
     "mistake": "ex13/open-excluded", "says": ["finished sequences only", "still open"],
     "code": searcher(pool="finished or open_")},
    {"name": "the mean log-probability raised to alpha", "mistake": "ex13/normalisation-wrong",
     "says": ["normalisation", "a power of the length"],
     "code": searcher().replace("c[1] / len(c[0]) ** length_norm",
                                "(c[1] / len(c[0])) ** length_norm")},
    {"name": "candidates in a dict keyed by their last symbol",
     "mistake": "ex13/candidates-wrong", "says": ["same symbol are two candidates"],
     "code": searcher().replace("candidates = []", "candidates = {}").replace(
         "{extend}", "").replace("candidates.append((prefix + (y,), log_p + logs[y]))",
                                 "candidates[y] = (prefix + (y,), log_p + logs[y])").replace(
         "sorted(candidates, key", "sorted(candidates.values(), key")},
    {"name": "the beam shrinks for good as sequences finish", "mistake": "ex13/beam-not-refilled",
     "says": ["refills", "keeps fewer prefixes"], "code": searcher(
         finish="if end is not None and c[0][-1] == end").replace(
         "                finished.append(c)",
         "                finished.append(c)\n                beam_width -= 1")},
    {"name": "finished extensions set aside before pruning",
     "mistake": "ex13/pruning-with-end-wrong", "says": ["pruning to the width"], "code": '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beams, finished = [((), 0.0)], []
    for _ in range(n):
        candidates = []
        for prefix, log_p in beams:
            logs = step(prefix)
            for y in range(len(logs)):
                c = (prefix + (y,), log_p + logs[y])
                if end is not None and y == end:
                    finished.append(c)
                else:
                    candidates.append(c)
        beams = sorted(candidates, key=lambda c: -c[1])[:beam_width]
        if not beams:
            break
    winner = max(beams + finished, key=lambda c: c[1] / len(c[0]) ** length_norm)
    return winner[0], winner[1]
'''},
    {"name": "the worst prefixes kept", "mistake": "ex13/pruning-wrong", "says": ["pruning"],
     "code": searcher(keep="sorted(candidates, key=lambda c: c[1])[:beam_width]")},
    {"name": "the length counted one too many", "mistake": "ex13/normalisation-wrong",
     "says": ["normalisation"], "code": searcher(length="(len(c[0]) + 1)")},
    {"name": "log P of the best open prefix returned", "mistake": "ex13/log-p-wrong",
     "says": ["log P of the ids you return"],
     "code": searcher(returned="max(c[1] for c in pool)")},
    {"name": "stops when the best prefix finishes", "mistake": "ex13/finished-handling-wrong",
     "says": ["finished"], "code": searcher().replace(
         "        beams = open_\n",
         "        beams = open_ if kept[0] in open_ else []\n")},
    {"name": "the length multiplied by length_norm, not raised to it",
     "mistake": "ex13/normalisation-wrong",
     "says": ["same sequences compete", "the fault is in the normalisation"],
     "code": searcher().replace("c[1] / len(c[0]) ** length_norm",
                                "c[1] / max(len(c[0]) * length_norm, 1)")},
    {"name": "log P multiplied by L**length_norm", "mistake": "ex13/normalisation-wrong",
     "says": ["same sequences compete", "the fault is in the normalisation"],
     "code": searcher().replace("c[1] / len(c[0]) ** length_norm",
                                "c[1] * len(c[0]) ** length_norm")},
    {"name": "(1 + length_norm) ** L for the length's power", "mistake": "ex13/normalisation-wrong",
     "says": ["same sequences compete", "the fault is in the normalisation"],
     "code": searcher().replace("c[1] / len(c[0]) ** length_norm",
                                "c[1] / (1 + length_norm) ** len(c[0])")},
    {"name": "the end symbol stripped from the winner", "mistake": "ex13/ids-wrong",
     "says": ["ids should end with end", "drops it"], "code": searcher().replace(
         "    return winner[0], winner[1]",
         "    ids = winner[0]\n    if end is not None and ids and ids[-1] == end:\n"
         "        ids = ids[:-1]\n    return ids, winner[1]")},
    {"name": "the winner's ids reversed", "mistake": "ex13/ids-wrong",
     "says": ["the fault is in ids", "reversed"], "code": searcher().replace(
         "return winner[0], winner[1]", "return winner[0][::-1], winner[1]")},
    {"name": "the winner's last symbol only", "mistake": "ex13/ids-wrong",
     "says": ["the fault is in ids", "prefix + (y,)"], "code": searcher().replace(
         "return winner[0], winner[1]", "return winner[0][-1:], winner[1]")},
    {"name": "step taken once, for the first prefix, outside the loop over prefixes",
     "mistake": "ex13/step-not-per-prefix",
     "says": ["its own step(prefix)", "calls step once per step"], "code": searcher().replace(
         "        for prefix, log_p in beams:\n            logs = step(prefix)\n",
         "        logs = step(beams[0][0])\n        for prefix, log_p in beams:\n")},
    {"name": "step taken once, for the last prefix, outside the loop over prefixes",
     "mistake": "ex13/step-not-per-prefix",
     "says": ["its own step(prefix)", "never called step"], "code": searcher().replace(
         "        for prefix, log_p in beams:\n            logs = step(prefix)\n",
         "        logs = step(beams[-1][0])\n        for prefix, log_p in beams:\n")},
    {"name": "step called with the empty prefix for every prefix",
     "mistake": "ex13/step-not-per-prefix", "says": ["its own step(prefix)", "never called step"],
     "code": searcher().replace("logs = step(prefix)", "logs = step(())")},
    {"name": "step called with the last symbol only", "mistake": "ex13/step-not-per-prefix",
     "says": ["its own step(prefix)", "never called step((1, 0))"],
     "code": searcher().replace("logs = step(prefix)", "logs = step(prefix[-1:])")},
    {"name": "prefixes passed to step as lists", "right": True,
     "code": searcher().replace("logs = step(prefix)", "logs = step(list(prefix))")},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
MUTANTS = {
    "function": "beam_search", "spec": "rnnlesson.checks.beam:SPEC",
    "checks": CHECKS, "outputs": ["ids", "log_p"],
    "aliases": {},
}

# Found by an independent review (fresh mistakes, none of them listed before).
ANSWERS += [
    {"name": "candidates not reset between steps", "mistake": "ex13/candidates-not-reset",
     "says": ["candidates of earlier steps compete again"],
     "code": searcher(before="candidates = []", fresh="")},
    {"name": "the beam started with beam_width empty prefixes",
     "mistake": "ex13/beam-start-wrong", "says": ["copies of the empty prefix"],
     "code": searcher(start="[((), 0.0)] * beam_width")},
    {"name": "the pruning slice skips the best extension", "mistake": "ex13/pruning-wrong",
     "says": ["drops the best extension"],
     "code": searcher(keep="sorted(candidates, key=lambda c: -c[1])[1:beam_width + 1]")},
]

# A crash on some cases (here n = 1: an empty winner, 0 ** length_norm) that the cases where
# the search returns explain: the rule those show is named, the crash as one of its effects.
ANSWERS += [
    {"name": "one step short, normalised by the empty length", "mistake": "ex13/stops-early",
     "says": ["extended at each of the n", "ZeroDivisionError"], "code": '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    beam, done = [((), 0.0)], []
    for _ in range(n - 1):
        grown = [(p + (y,), s + float(v)) for p, s in beam for y, v in enumerate(step(p))]
        grown.sort(key=lambda c: c[1], reverse=True)
        grown = grown[:beam_width]
        done += [c for c in grown if end is not None and c[0][-1] == end]
        beam = [c for c in grown if end is None or c[0][-1] != end]
        if not beam:
            break
    best = max(done + beam, key=lambda c: c[1] / len(c[0]) ** length_norm)
    return best[0], best[1]
'''},
    {"name": "one step short, range(1, n)", "mistake": "ex13/stops-early",
     "says": ["extended at each of the n", "yours raised"],
     "code": searcher().replace("for _ in range(n):", "for _ in range(1, n):")},
]

# A long sequence, where a product of probabilities underflows (log P about -900): a search in
# probability space agrees on every short case and fails there.
ANSWERS += [
    {"name": "probabilities multiplied, log taken at the end", "mistake": "ex13/underflow",
     "says": ["underflows to 0", "sum of log-probabilities"],
     "code": searcher(score="log_p * np.exp(logs[y])", start="[((), 1.0)]",
                      returned="float(np.log(winner[1]))").replace(
                          "c[1] / {length} ** length_norm".replace("{length}", "len(c[0])"),
                          "np.log(c[1]) / len(c[0]) ** length_norm")},
    {"name": "probabilities kept in a numpy array", "mistake": "ex13/underflow",
     "says": ["log_p = -inf", "never a product of probabilities"], "code": '''
def beam_search(step, n, beam_width, end=None, length_norm=0.0):
    prefixes, probs, done = [()], np.ones(1), []
    for _ in range(n):
        table = probs[:, None] * np.exp(np.stack([step(p) for p in prefixes]))
        order = np.argsort(-table.ravel(), kind="stable")[:beam_width]
        n_y = table.shape[1]
        kept = [(prefixes[i // n_y] + (i % n_y,), table.ravel()[i]) for i in order]
        done += [c for c in kept if end is not None and c[0][-1] == end]
        kept = [c for c in kept if end is None or c[0][-1] != end]
        prefixes, probs = [c[0] for c in kept], np.array([c[1] for c in kept])
        if not kept:
            break
    pool = done + list(zip(prefixes, probs))
    with np.errstate(divide="ignore"):
        ids, p = max(pool, key=lambda c: np.log(c[1]) / len(c[0]) ** length_norm)
        return ids, float(np.log(p))
'''},
    {"name": "log-probabilities multiplied", "mistake": "ex13/log-p-combined-wrong",
     "says": ["product of the log-probabilities", "log P = sum_t"],
     "code": searcher(score="(log_p if prefix else 1.0) * logs[y]")},
]

# Review 8: the length normalisation applied to one group of candidates only.
ANSWERS += [
    {"name": "only the finished sequences normalised",
     "mistake": "ex13/only-finished-normalised",
     "says": ["only the finished sequences' scores were divided"],
     "code": searcher().replace(
         "winner = max(pool, key=lambda c: c[1] / len(c[0]) ** length_norm)",
         "winner = max(pool, key=lambda c: c[1] / len(c[0]) ** length_norm if c in finished "
         "else c[1])")},
    {"name": "only the open prefixes normalised", "mistake": "ex13/only-open-normalised",
     "says": ["only the open sequences' scores were divided"],
     "code": searcher().replace(
         "winner = max(pool, key=lambda c: c[1] / len(c[0]) ** length_norm)",
         "winner = max(pool, key=lambda c: c[1] if c in finished else c[1] / len(c[0]) "
         "** length_norm)")},
]
