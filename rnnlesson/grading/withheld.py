"""What a withheld answer raises inside a grading sandbox (see ``answer_key.py``)."""


class AnswerWithheld(RuntimeError):
    """The package's own answer to the exercise being graded was called."""
