"""Campaigns: a team's own prompt set, its own invited voters, and the votes to decide."""

from modelarena.campaigns.power import Separation, separation, votes_to_separate, z_value
from modelarena.campaigns.prompt_files import (
    CampaignPrompt,
    PromptFileError,
    prompts_from_text,
    read_prompt_file,
)
from modelarena.campaigns.service import Access, CampaignError, CampaignService
from modelarena.campaigns.status import CampaignStatus, top_separation

__all__ = [
    "Access",
    "CampaignError",
    "CampaignPrompt",
    "CampaignService",
    "CampaignStatus",
    "PromptFileError",
    "Separation",
    "prompts_from_text",
    "read_prompt_file",
    "separation",
    "top_separation",
    "votes_to_separate",
    "z_value",
]
