"""The automatic arena: LLM-as-judge battles over prompt sets, checked against human votes.

See docs/judge.md.  The public surface:
"""

from modelarena.judge.agreement import AgreementReport, agreement_report
from modelarena.judge.judge import Combined, JudgePass, combine, judge_messages
from modelarena.judge.prompts import PromptItem, PromptSetError, load_prompts
from modelarena.judge.report import RunOptions, RunReport
from modelarena.judge.runner import JudgeRun, JudgeRunError, judge_source
from modelarena.judge.verdicts import Label, ParsedVerdict, parse_verdict
from modelarena.ratings.proportions import Figure, cohen_kappa
from modelarena.runs.cache import Cache

__all__ = [
    "AgreementReport",
    "Cache",
    "Combined",
    "Figure",
    "JudgePass",
    "JudgeRun",
    "JudgeRunError",
    "Label",
    "ParsedVerdict",
    "PromptItem",
    "PromptSetError",
    "RunOptions",
    "RunReport",
    "agreement_report",
    "cohen_kappa",
    "combine",
    "judge_messages",
    "judge_source",
    "load_prompts",
    "parse_verdict",
]
