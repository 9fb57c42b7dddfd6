"""Exercise 7: clip_by_global_norm and sample."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rnn_cell_forward, softmax
'''
CLIP, SAMPLE = ["check_clip_by_global_norm"], ["check_sample"]

RIGHT_CLIP = '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    scale = max_norm / norm if norm > max_norm else 1.0
    return {key: g * scale for key, g in grads.items()}, norm
'''


def sampler(x_from="symbol", a_next="a", draw="rng.choice(n_y, p=p)", logits="z / temperature",
            seed="seed", out="ids", steps="n"):
    """The learner's sampler with one line changed."""
    return f'''
def sample(params, n, start, temperature=1.0, seed=0):
    rng = np.random.default_rng({seed})
    n_y, n_a = params["Wya"].shape
    a = np.zeros((n_a, 1))
    symbol = start
    ids = np.zeros({steps}, dtype=int)
    for t in range({steps}):
        x = np.zeros((n_y, 1))
        x[{x_from}] = 1.0
        {a_next}, _, _ = rnn_cell_forward(x, a, params)
        z = params["Wya"] @ a + params["by"]
        p = softmax({logits})[:, 0]
        symbol = {draw}
        ids[t] = symbol
    return {out}
'''


ANSWERS = [
    {"name": "clip, one factor", "right": True, "checks": CLIP, "code": RIGHT_CLIP},
    {"name": "clip, a flat vector and min", "right": True, "checks": CLIP, "code": '''
def clip_by_global_norm(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: factor * v for k, v in grads.items()}, norm
'''},
    {"name": "np.clip on each entry", "checks": CLIP, "mistake": "ex07/clipped-per-entry",
     "says": ["each entry was clipped", "direction"], "code": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    return {key: np.clip(g, -max_norm, max_norm) for key, g in grads.items()}, norm
'''},
    {"name": "each array by its own norm", "checks": CLIP, "mistake": "ex07/clipped-per-array",
     "says": ["its own norm"], "code": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    return {k: g * min(1, max_norm / np.linalg.norm(g)) for k, g in grads.items()}, norm
'''},
    {"name": "the norm after clipping returned", "checks": CLIP, "mistake": "ex07/norm-wrong",
     "says": ["before clipping"], "code": RIGHT_CLIP.replace(
         "return {key: g * scale for key, g in grads.items()}, norm",
         "return {key: g * scale for key, g in grads.items()}, min(norm, max_norm)")},
    {"name": "always scaled", "checks": CLIP, "mistake": "ex07/clipped-wrong",
     "says": ["scale only when norm > max_norm", "far above the norm yours differs"],
     "code": RIGHT_CLIP.replace(
         "max_norm / norm if norm > max_norm else 1.0",
         "max_norm / norm if norm > 0 else 1.0")},
    {"name": "a zero norm divided by", "checks": CLIP, "mistake": "ex07/zero-norm",
     "says": ["norm 0", "norm > max_norm"], "code": RIGHT_CLIP.replace(
         "max_norm / norm if norm > max_norm else 1.0", "min(1.0, max_norm / norm)")},
    {"name": "NaN for a zero norm", "checks": CLIP, "mistake": "ex07/not-finite",
     "says": ["NaN", "norm of 0"], "code": RIGHT_CLIP.replace(
         "max_norm / norm if norm > max_norm else 1.0",
         "min(1.0, max_norm / np.float64(norm)) if norm else np.nan")},
    {"name": "clipped in place", "checks": CLIP, "mistake": "ex07/changes-its-input",
     "says": ["modified its argument grads"], "code": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    for g in grads.values():
        g *= min(1.0, max_norm / norm) if norm else 1.0
    return dict(grads), norm
'''},
    {"name": "the same dict returned", "checks": CLIP, "mistake": "ex07/same-dict",
     "says": ["a new dict"], "code": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    if norm <= max_norm:
        return grads, norm
    return {key: g * (max_norm / norm) for key, g in grads.items()}, norm
'''},
    {"name": "only the clipped dict", "checks": CLIP, "mistake": "ex07/wrong-return",
     "says": ["the tuple (clipped, norm)"], "code": RIGHT_CLIP.replace(
         "for key, g in grads.items()}, norm", "for key, g in grads.items()}")},
    {"name": "a list [clipped, norm]", "checks": CLIP, "mistake": "ex07/wrong-return",
     "says": ["the tuple (clipped, norm)", "received a list"], "code": RIGHT_CLIP.replace(
         "return {key: g * scale for key, g in grads.items()}, norm",
         "return [{key: g * scale for key, g in grads.items()}, norm]")},
    {"name": "the package's clipping", "checks": CLIP, "mistake": "ex07/uses-reference",
     "says": ["your clip_by_global_norm calls rnnlesson.clip_by_global_norm"], "code": '''
import rnnlesson

def clip_by_global_norm(grads, max_norm):
    clipped, norm = rnnlesson.clip_by_global_norm(grads, max_norm)
    return dict(clipped), norm
'''},
    {"name": "the norm without the square root", "checks": CLIP,
     "mistake": "ex07/norm-wrong", "says": ["global norm before clipping"],
     "code": RIGHT_CLIP.replace("float(np.sqrt(sum(", "float((sum(")},
    {"name": "max_norm * norm", "checks": CLIP, "mistake": "ex07/factor-wrong",
     "says": ["the factor max_norm / norm"],
     "code": RIGHT_CLIP.replace("max_norm / norm if", "max_norm * norm if")},
    {"name": "clipped only beyond twice max_norm", "checks": CLIP,
     "mistake": "ex07/clipped-wrong", "says": ["too late", "and about 2 (2 max_norm)"],
     "code": RIGHT_CLIP.replace("norm > max_norm", "norm > 2 * max_norm")},
    {"name": "clipped from half of max_norm", "checks": CLIP,
     "mistake": "ex07/clipped-wrong", "says": ["too early", "about 0.5 (0.5 max_norm)"],
     "code": RIGHT_CLIP.replace("norm > max_norm", "norm > max_norm / 2")},
    {"name": "clipped when norm < max_norm", "checks": CLIP, "mistake": "ex07/clipped-wrong",
     "says": ["the condition"], "code": RIGHT_CLIP.replace("norm > max_norm", "norm < max_norm")},
    {"name": "the mean of the squares", "checks": CLIP, "mistake": "ex07/norm-wrong",
     "says": ["sqrt of the sum of the squares"],
     "code": RIGHT_CLIP.replace("np.sum(g * g)", "np.mean(g * g)")},
    # --- sampling
    {"name": "sample with rng.choice", "right": True, "checks": SAMPLE, "code": sampler()},
    {"name": "p passed to choice by position", "checks": SAMPLE,
     "mistake": "ex07/choice-positional", "says": ["p went to size", "by name"],
     "code": sampler(draw="rng.choice(n_y, p)")},
    {"name": "size and p passed to choice by position", "checks": SAMPLE,
     "mistake": "ex07/choice-positional", "says": ["1 went to size", "p went to replace"],
     "code": sampler(draw="rng.choice(n_y, 1, p)[0]")},
    {"name": "sample by the cumulative sum", "right": True, "checks": SAMPLE, "code": sampler(
        draw="int(np.searchsorted(np.cumsum(p), rng.random() * p.sum()))")},
    {"name": "sample with the temperature on the probabilities", "right": True,
     "checks": SAMPLE, "code": sampler(
         logits="z", draw="rng.choice(n_y, p=p ** (1 / temperature) / np.sum(p ** (1 / "
         "temperature)))")},
    {"name": "the rng made at every step", "checks": SAMPLE,
     "mistake": "ex07/rng-made-every-step", "says": ["made again at every step", "once, before "
                                                      "the loop"],
     "code": sampler().replace("        x = np.zeros((n_y, 1))",
                               "        rng = np.random.default_rng(seed)\n"
                               "        x = np.zeros((n_y, 1))")},
    {"name": "argmax instead of a draw", "checks": SAMPLE, "mistake": "ex07/argmax",
     "says": ["argmax", "at random"], "code": sampler(draw="int(np.argmax(p))")},
    {"name": "no seed", "checks": SAMPLE, "mistake": "ex07/not-seeded", "says": ["same seed"],
     "code": sampler(seed="None")},
    {"name": "temperature ignored", "checks": SAMPLE, "mistake": "ex07/temperature-ignored",
     "says": ["no effect", "z / temperature"], "code": sampler(logits="z")},
    {"name": "temperature multiplied", "checks": SAMPLE,
     "mistake": "ex07/temperature-backwards", "says": ["backwards"],
     "code": sampler(logits="z * temperature")},
    {"name": "start fed back every step", "checks": SAMPLE, "mistake": "ex07/not-fed-back",
     "says": ["next step's input", "start symbol again"], "code": sampler(x_from="start")},
    {"name": "state not carried", "checks": SAMPLE, "mistake": "ex07/state-not-carried",
     "says": ["Carry the hidden state"], "code": sampler(a_next="_a")
     .replace("z = params[\"Wya\"] @ a", "z = params[\"Wya\"] @ _a")},
    {"name": "start put in the output", "checks": SAMPLE, "mistake": "ex07/start-in-output",
     "says": ["start symbol", "n drawn symbols"],
     "code": sampler(out="np.concatenate([[start], ids[:-1]])")},
    {"name": "start and n draws", "checks": SAMPLE, "mistake": "ex07/start-in-output",
     "says": ["n + 1"], "code": sampler(out="np.concatenate([[start], ids])")},
    {"name": "a list of ids", "checks": SAMPLE, "mistake": "ex07/not-an-array",
     "says": ["numpy int array", "np.array"], "code": sampler(out="ids.tolist()")},
    {"name": "float ids", "checks": SAMPLE, "mistake": "ex07/ids-not-ints",
     "says": ["integers"], "code": sampler(out="ids.astype(float)")},
    {"name": "the package's sampler", "checks": SAMPLE, "mistake": "ex07/uses-reference",
     "says": ["your sample calls rnnlesson.sample"], "code": '''
import rnnlesson

def sample(params, n, start, temperature=1.0, seed=0):
    return rnnlesson.sample(params, n, start, temperature=temperature, seed=seed)
'''},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
# sample draws at random: it is judged by frequencies over thousands of draws, not mutated.
MUTANTS = {
    "function": "clip_by_global_norm", "spec": "rnnlesson.checks.generation:CLIP_SPEC",
    "checks": CLIP, "outputs": ["clipped", "norm"],
    "aliases": {"norm": ["norm", "global norm"], "scale": ["factor"], "g": ["gradient"],
                "grads": ["gradient"], "max_norm": ["max_norm"], "sum": ["sum"],
                "key": ["clipped"]},
}

# The learner's norm read as one of the numbers made of a per-array quantity, an aggregate
# over the arrays and a final square root or square (every combination tried).
ANSWERS += [
    {"name": "the norm without its square root", "checks": CLIP, "mistake": "ex07/norm-wrong",
     "says": ["each array's sum of squares", "the square root is missing"],
     "code": RIGHT_CLIP.replace("float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                                "float(sum(np.sum(g * g) for g in grads.values()))")},
    {"name": "the arrays' norms added", "checks": CLIP, "mistake": "ex07/norm-wrong",
     "says": ["the sum over the arrays of each array's norm", "the norms were added"],
     "code": RIGHT_CLIP.replace("float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                                "float(sum(np.linalg.norm(g) for g in grads.values()))")},
    {"name": "the largest array norm", "checks": CLIP, "mistake": "ex07/norm-wrong",
     "says": ["the norm of one array only"],
     "code": RIGHT_CLIP.replace("float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                                "max(float(np.linalg.norm(g)) for g in grads.values())")},
    {"name": "the mean of the arrays' sums of squares", "checks": CLIP,
     "mistake": "ex07/norm-wrong",
     "says": ["the square root of the mean over the arrays of each array's sum of squares"],
     "code": RIGHT_CLIP.replace("float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                                "float(np.sqrt(np.mean([np.sum(g * g) for g in "
                                "grads.values()])))")},
    {"name": "the square root of the summed absolute values", "checks": CLIP,
     "mistake": "ex07/norm-wrong",
     "says": ["the square root of the sum over the arrays of each array's sum of absolute"],
     "code": RIGHT_CLIP.replace("np.sum(g * g)", "np.sum(np.abs(g))")},
]

# What each step of the sampler read, measured with a model that answers the number of 1s in
# its input x.
ANSWERS += [
    {"name": "x made once, before the loop", "checks": SAMPLE,
     "mistake": "ex07/input-not-one-hot",
     "says": ["the input x holds 2 ones", "make a fresh np.zeros((n_y, 1)) at every step"],
     "code": sampler().replace("    for t in range(n):\n        x = np.zeros((n_y, 1))\n",
                               "    x = np.zeros((n_y, 1))\n    for t in range(n):\n")},
    {"name": "x's 1 set with +=", "checks": SAMPLE, "mistake": "ex07/input-not-one-hot",
     "says": ["the input x holds", "The 1s of earlier symbols stay in x"],
     "code": sampler().replace("    for t in range(n):\n        x = np.zeros((n_y, 1))\n"
                               "        x[symbol] = 1.0",
                               "    x = np.zeros((n_y, 1))\n    for t in range(n):\n"
                               "        x[symbol] += 1.0")},
]

# Review 9: the logits without the output bias, and a softmax taken twice.
ANSWERS += [
    {"name": "the logits without by", "mistake": "ex07/by-missing", "checks": SAMPLE,
     "says": ["your logits leave out the bias"],
     "code": sampler(logits="(params['Wya'] @ a) / temperature")},
    {"name": "a softmax of the probabilities", "mistake": "ex07/softmax-twice", "checks": SAMPLE,
     "says": ["a softmax applied to probabilities"],
     "code": sampler(logits="softmax(z / temperature)")},
]
