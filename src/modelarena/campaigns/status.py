"""A campaign's standing: its board (optionally of one language), each model's progress to
the target, and the separation of its top two (the votes still needed, or "stop now")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from modelarena import ratings
from modelarena.campaigns.power import Separation, separation, z_value
from modelarena.leaderboard.board import BoardFit, Leaderboard, fit_board, tabulate
from modelarena.leaderboard.filters import LeaderboardFilters
from modelarena.store.campaigns import CampaignRecord

if TYPE_CHECKING:
    from modelarena.arena import Arena

CONFIDENCE = 0.95  # the board's intervals, and the decision's


@dataclass
class ModelProgress:
    model: str
    votes: int
    width: float | None  # interval width, rating points (None: too few votes)
    done: bool


@dataclass
class CampaignStatus:
    campaign: CampaignRecord
    board: Leaderboard
    separation: Separation | None
    models: list[ModelProgress]
    target_met: bool
    total_votes: int
    prompts: int
    languages: dict[str, int] = field(default_factory=dict)
    language: str | None = None

    @property
    def stop_now(self) -> bool:
        return self.target_met or bool(self.separation and self.separation.separated)

    @property
    def decision(self) -> str:
        """One line: decided, or the votes still needed (models by their display names)."""
        s = self.separation
        names = {row.model: row.display_name for row in self.board.rows}
        first, second = (
            (names.get(s.first, s.first), names.get(s.second, s.second)) if s else ("", "")
        )
        if s is not None and s.separated:
            return f"decided: {first} is ahead of {second} at {s.confidence:.0%} confidence"
        if s is None:
            gap = "not enough votes yet"
        elif s.votes_needed is None:
            gap = f"{first} and {second} are level: no number of votes separates them"
        else:
            gap = f"about {s.votes_needed} more votes to separate {first} from {second}"
        return f"target met; {gap}" if self.target_met else gap

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        s = self.separation
        return {
            "name": c.name,
            "category": c.category,
            "models": list(c.models),
            "target_votes": c.target_votes,
            "target_width": c.target_width,
            "confidence": c.confidence,
            "published": c.published,
            "stopped": c.stopped_at is not None,
            "prompts": self.prompts,
            "languages": self.languages,
            "language": self.language,
            "total_votes": self.total_votes,
            "target_met": self.target_met,
            "stop_now": self.stop_now,
            "decision": self.decision,
            "separation": None
            if s is None
            else {
                "first": s.first,
                "second": s.second,
                "difference": round(s.difference, 2),
                "se": round(s.se, 2),
                "lower": round(s.lower, 2),
                "upper": round(s.upper, 2),
                "confidence": s.confidence,
                "votes": s.votes,
                "separated": s.separated,
                "votes_needed": s.votes_needed,
            },
            "progress": [
                {"model": m.model, "votes": m.votes, "width": m.width, "done": m.done}
                for m in self.models
            ],
            "board": [r.to_dict() for r in self.board.rows],
            "method": self.board.method,
        }


def campaign_status(
    arena: Arena, campaign: CampaignRecord, *, language: str | None = None
) -> CampaignStatus:
    """The campaign's board (optionally of one language), its progress to the target
    and the separation of its top two."""
    source = campaign.source
    filters = LeaderboardFilters(source=source, languages=(language,) if language else ())
    cells = arena.store.pair_cells(sources=[source], languages=filters.languages)
    fit = fit_board(arena.store, filters, cells=cells)
    board = tabulate(fit, arena.model_info, filters)
    progress, met = _progress(campaign, fit)
    return CampaignStatus(
        campaign=campaign,
        board=board,
        separation=top_separation(fit, board, confidence=campaign.confidence),
        models=progress,
        target_met=met,
        total_votes=fit.total_votes,
        prompts=len(arena.store.campaigns.prompts(campaign.id)),
        languages=arena.store.campaigns.languages(campaign.id),
        language=language,
    )


def _progress(campaign: CampaignRecord, fit: BoardFit) -> tuple[list[ModelProgress], bool]:
    index = {m: i for i, m in enumerate(fit.models)}
    games = fit.games.sum(axis=1) if len(fit.models) else np.zeros(0)
    out = []
    for m in campaign.models:
        i = index.get(m)
        votes = int(games[i]) if i is not None else 0
        width = None
        if i is not None and ratings.has_interval(np.array([votes]))[0]:
            width = round(float(fit.upper[i] - fit.lower[i]), 2)
        if campaign.target_votes is not None:
            done = votes >= campaign.target_votes
        else:
            done = width is not None and width <= (campaign.target_width or 0.0)
        out.append(ModelProgress(m, votes, width, done))
    return out, bool(out) and all(p.done for p in out)


def top_separation(
    fit: BoardFit, board: Leaderboard, *, confidence: float = CONFIDENCE
) -> Separation | None:
    """The top two rated models of the board and the separation of their difference at
    ``confidence``. Each rating's standard error is read from the board's own 95% interval
    (sandwich, or cluster-robust when tournament votes are in the fit), and their
    correlation from the fit's sandwich covariance: ``se_d^2 = se_1^2 + se_2^2 - 2 r se_1
    se_2``, which is the sandwich variance of the difference when the board's intervals
    are the plain sandwich ones. Without a covariance (a style-controlled fit), r = 0."""
    ranked = [r for r in board.rows if r.ci_lower is not None]
    if len(ranked) < 2:
        return None
    first, second = ranked[0], ranked[1]
    i, j = fit.models.index(first.model), fit.models.index(second.model)
    difference = float(fit.values[i] - fit.values[j])
    z = z_value(0.95)  # the board's intervals are 95% ones
    se_i = float(fit.upper[i] - fit.lower[i]) / (2 * z)
    se_j = float(fit.upper[j] - fit.lower[j]) / (2 * z)
    r = 0.0
    if fit.counts is not None and fit.bt is not None:
        cov = ratings.sandwich_covariance(fit.counts, fit.bt)
        denominator = math.sqrt(max(float(cov[i, i] * cov[j, j]), 0.0))
        r = float(cov[i, j]) / denominator if denominator > 0 else 0.0
    se = math.sqrt(max(se_i**2 + se_j**2 - 2 * r * se_i * se_j, 0.0))
    return separation(
        first.model, second.model, difference, se, fit.total_votes, confidence=confidence
    )
