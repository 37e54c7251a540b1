"""Questions, per-learner answer keys and grading (plain Python: nothing here imports Django)."""

from datagen_lti.grading.compare import AnswerFormatError
from datagen_lti.grading.grade import GradeResult, QuestionResult, grade_answers
from datagen_lti.grading.keys import AnswerKey, AnswerKeyError, compute_answer_key, render_prompt
from datagen_lti.grading.questions import (
    Question,
    QuestionSet,
    load_questions,
    questions_from_data,
    split_spec_document,
)

__all__ = [
    "AnswerFormatError",
    "AnswerKey",
    "AnswerKeyError",
    "GradeResult",
    "Question",
    "QuestionResult",
    "QuestionSet",
    "compute_answer_key",
    "grade_answers",
    "load_questions",
    "questions_from_data",
    "render_prompt",
    "split_spec_document",
]
