"""Exercise 2: task_shapes, one test per task."""

PRELUDE = "import numpy as np"
CHECKS = ["check_task_shapes"]
FUNCTION = "task_shapes"

RIGHT = '''
def task_shapes(sizes):
    m = sizes["m"]
    return {
        "translation": {"topology": "many-to-many (encoder-decoder)",
                        "x": (sizes["english_words"], m, sizes["english_length"]),
                        "y_pred": (sizes["french_words"], m, sizes["french_length"])},
        "sentiment": {"topology": "many-to-one",
                      "x": (sizes["review_words"], m, sizes["review_length"]),
                      "y_pred": (2, m)},
        "speech": {"topology": "many-to-many (aligned)",
                   "x": (sizes["audio_features"], m, sizes["frames"]),
                   "y_pred": (sizes["phonemes"], m, sizes["frames"])},
        "image_captions": {"topology": "one-to-many", "x": (sizes["image_features"], m),
                           "y_pred": (sizes["caption_words"], m, sizes["caption_length"])},
        "chatbot": {"topology": "many-to-many (encoder-decoder)",
                    "x": (sizes["chat_words"], m, sizes["question_length"]),
                    "y_pred": (sizes["chat_words"], m, sizes["reply_length"])},
    }
'''


def changed(task, **parts):
    """RIGHT with one task's answer changed: parts are Python expressions over sizes."""
    edits = "".join(f"    answers[{task!r}][{key!r}] = {value}\n" for key, value in parts.items())
    return (RIGHT.replace("def task_shapes(sizes):", "def right(sizes):")
            + f"\n\ndef task_shapes(sizes):\n    answers = right(sizes)\n{edits}"
            "    return answers\n")


TASKS = ["translation", "sentiment", "speech", "image_captions", "chatbot"]

ANSWERS = [
    *({"name": f"one dict, {task}", "right": True, "args": [task], "code": RIGHT}
      for task in TASKS),
    {"name": "built task by task", "right": True, "args": ["speech"], "code": '''
def task_shapes(sizes):
    m = sizes["m"]
    answers = {}
    for task, (topology, n_x, T_x, n_y, T_y) in {
        "speech": ("many-to-many (aligned)", "audio_features", "frames", "phonemes", "frames"),
        "sentiment": ("many-to-one", "review_words", "review_length", None, None),
    }.items():
        y_pred = (sizes[n_y], m, sizes[T_y]) if n_y else (2, m)
        answers[task] = {"topology": topology, "x": (sizes[n_x], m, sizes[T_x]),
                         "y_pred": y_pred}
    return answers
'''},
    {"name": "translation as many-to-one", "args": ["translation"],
     "mistake": "ex02/wrong-topology", "says": ["not the right topology", "two sequences"],
     "code": changed("translation", topology='"many-to-one"')},
    {"name": "speech as encoder-decoder", "args": ["speech"],
     "mistake": "ex02/wrong-topology", "says": ["not the right topology", "every frame"],
     "code": changed("speech", topology='"many-to-many (encoder-decoder)"')},
    {"name": "a name draw_topology does not take", "args": ["chatbot"],
     "mistake": "ex02/unknown-topology", "says": ["one of", "seq2seq"],
     "code": changed("chatbot", topology='"seq2seq"')},
    {"name": "the topology spelled another way", "args": ["translation"],
     "mistake": "ex02/topology-spelling", "says": ["exactly as draw_topology takes it",
                                                    "'many-to-many (encoder-decoder)'"],
     "code": changed("translation", topology='"Many to many (encoder decoder)"')},
    {"name": "batch axis first", "args": ["translation"],
     "mistake": "ex02/axes-order", "says": ["wrong order", "(features, m, steps)"],
     "code": changed("translation", x='(sizes["m"], sizes["english_length"], '
                     'sizes["english_words"])')},
    {"name": "a time axis on sentiment's output", "args": ["sentiment"],
     "mistake": "ex02/time-axis-extra", "says": ["no time axis"],
     "code": changed("sentiment", y_pred='(2, sizes["m"], sizes["review_length"])')},
    {"name": "a time axis of 1 on the image", "args": ["image_captions"],
     "mistake": "ex02/time-axis-extra", "says": ["no time axis", "(features, m)"],
     "code": changed("image_captions", x='(sizes["image_features"], sizes["m"], 1)')},
    {"name": "no time axis on the caption", "args": ["image_captions"],
     "mistake": "ex02/time-axis-missing", "says": ["a sequence", "three axes"],
     "code": changed("image_captions", y_pred='(sizes["caption_words"], sizes["m"])')},
    {"name": "a number written in", "args": ["speech"],
     "mistake": "ex02/hard-coded-sizes", "says": ["audio_features", "take every number"],
     "code": changed("speech", x='(13, sizes["m"], sizes["frames"])')},
    {"name": "the reply as long as the question", "args": ["chatbot"],
     "mistake": "ex02/wrong-size", "says": ["reply_length"],
     "code": changed("chatbot", y_pred='(sizes["chat_words"], sizes["m"], '
                     'sizes["question_length"])')},
    {"name": "a list for a shape", "args": ["sentiment"],
     "mistake": "ex02/shape-not-a-tuple", "says": ["tuple of ints", "list"],
     "code": changed("sentiment", y_pred='[2, sizes["m"]]')},
    {"name": "a task left out", "args": ["speech"],
     "mistake": "ex02/task-missing", "says": ["'speech'"], "code": '''
def task_shapes(sizes):
    return {}
'''},
    {"name": "the package's array_shapes", "args": ["speech"],
     "mistake": "ex02/uses-reference", "says": ["array_shapes"], "code": '''
from rnnlesson.shapes import array_shapes

def task_shapes(sizes):
    shapes = array_shapes("many-to-many (aligned)", sizes["audio_features"], sizes["phonemes"],
                          sizes["m"], sizes["frames"], sizes["frames"])
    return {"speech": {"topology": "many-to-many (aligned)", "x": shapes["x"],
                       "y_pred": shapes["y_pred"]}}
'''},
]
