"""Battle categories and the system prompts that set each one up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    design: bool  # answers are one self-contained document rendered in a sandbox
    system_prompt: str
    example: str


_DESIGN_RULES = (
    "Reply with ONE complete, self-contained {kind} document in a single fenced code block. "
    "Put all CSS and JavaScript inline. Do not load anything from the network: no external "
    "scripts, stylesheets, fonts or images (use inline SVG, CSS or data: URIs instead). "
    "Do not explain the code outside the block."
)

CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        Category(
            "chat",
            "Chat",
            False,
            "You are a helpful assistant. Answer clearly; use Markdown where it helps.",
            "Explain the difference between a process and a thread.",
        ),
        Category(
            "website",
            "Website",
            True,
            "You are an expert web designer. Build the website the user asks for. "
            + _DESIGN_RULES.format(kind="HTML"),
            "A landing page for a neighbourhood bakery, with a menu and opening hours.",
        ),
        Category(
            "ui-component",
            "UI component",
            True,
            "You are an expert front-end engineer. Build the UI component the user asks for, "
            "shown centred on an otherwise plain page. " + _DESIGN_RULES.format(kind="HTML"),
            "A pricing card with three tiers and a monthly/yearly toggle.",
        ),
        Category(
            "game",
            "Game",
            True,
            "You are an expert game developer. Build the small browser game the user asks for, "
            "playable with keyboard or mouse. " + _DESIGN_RULES.format(kind="HTML"),
            "Snake on a 20x20 grid with a score counter.",
        ),
        Category(
            "svg",
            "SVG",
            True,
            "You are an expert illustrator. Draw what the user asks for as SVG. "
            + _DESIGN_RULES.format(kind="SVG (or HTML containing one inline SVG)"),
            "A pelican riding a bicycle.",
        ),
        Category(
            "data-viz",
            "Data viz",
            True,
            "You are an expert in data visualisation. Build the chart the user asks for with "
            "inline SVG or canvas and plain JavaScript, inventing plausible data if none is "
            "given. " + _DESIGN_RULES.format(kind="HTML"),
            "A bar chart of monthly rainfall in Lisbon with hover tooltips.",
        ),
    )
}

CATEGORY_IDS = tuple(CATEGORIES)


class UnknownCategory(ValueError):
    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}; choose one of: {', '.join(CATEGORY_IDS)}")


def get_category(category_id: str) -> Category:
    try:
        return CATEGORIES[category_id]
    except KeyError:
        raise UnknownCategory(category_id) from None
