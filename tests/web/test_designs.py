"""Design documents at their own address: policy headers, the guard first, frame tags
turned into text, and bound to the session that owns the battle until it is revealed."""

from __future__ import annotations

import re
from typing import Any

from modelarena.web.render import design_document
from modelarena.web.security import DESIGN_CSP, page_csp

PAGE = (
    "Sure!\n```html\n<!DOCTYPE html><html><body><h1>Bakery</h1>"
    "<script>var n = 1;</script></body></html>\n```"
)


async def design_battle(c: Any, prompt: str = "A bakery page") -> tuple[str, list[str]]:
    r = await c.post("/api/battles", {"prompt": prompt, "category": "website"})
    assert r.status_code == 201, r.text
    stream = await c.get(r.json()["stream_url"])
    srcs = re.findall(r'"src":"(/designs/[^"]+)"', stream.text)
    assert len(srcs) == 2
    return r.json()["id"], srcs


async def test_design_document_has_its_own_policy(scripted, api_client) -> None:
    arena = scripted({"deepseek-v3": [PAGE], "gpt-4o": ["```svg\n<svg width='10'></svg>\n```"]})
    c = await api_client(arena)
    _, srcs = await design_battle(c)
    for src in srcs:
        r = await c.get(src)
        assert r.status_code == 200
        h = r.headers
        csp = h["content-security-policy"]
        assert csp.startswith(DESIGN_CSP) and "sandbox allow-scripts" in csp
        assert "frame-ancestors 'self'" in csp and "require-trusted-types-for 'script'" in csp
        assert h["connection-allowlist"] == "()"
        assert h["x-frame-options"] == "SAMEORIGIN" and h["cache-control"] == "no-store"
        doc = r.text
        head = doc[: doc.index("</head>")]
        assert 'http-equiv="Content-Security-Policy"' in head and "trustedTypes" in head
        assert doc.index("RTCPeerConnection") < doc.index("<body")  # the guard comes first
        assert "deepseek" not in (doc + str(h)).lower() and "gpt" not in (doc + str(h)).lower()
    assert any(["<h1>Bakery</h1>" in (await c.get(s)).text for s in srcs])


async def test_design_documents_belong_to_the_battle_owner_until_the_vote(
    scripted, api_client
) -> None:
    arena = scripted({"deepseek-v3": [PAGE], "gpt-4o": [PAGE]})
    owner = await api_client(arena)
    other = await api_client(arena)
    battle_id, srcs = await design_battle(owner)
    for src in srcs:
        assert (await owner.get(src)).status_code == 200
        stranger = await other.get(src)
        assert stranger.status_code == 404 and "Bakery" not in stranger.text
        assert "not available" in stranger.text
        assert stranger.headers["content-security-policy"].startswith(DESIGN_CSP)
    for bad in (
        f"/designs/{battle_id}/0/c",
        f"/designs/{battle_id}/7/a",
        "/designs/no-such-battle/0/a",
        "/designs/bad$id/0/a",
    ):
        assert (await owner.get(bad)).status_code == 404
    assert (await owner.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})).status_code == 200
    assert all([(await other.get(src)).status_code == 200 for src in srcs])  # revealed


async def test_chat_battles_have_no_design_documents(scripted, api_client) -> None:
    c = await api_client(scripted())
    battle_id = await c.battle()
    assert (await c.get(f"/designs/{battle_id}/0/a")).status_code == 404


def test_frame_start_tags_become_text() -> None:
    doc = design_document(
        "<IFRAME src=x></iframe><iframe\nsrcdoc=y><object data=z><embed/src=w>"
        "<frameset><portal><fencedframe>"
        "<script>if (i<Object.keys(o).length && j<frames.length) {}</script><iframes>",
    )
    body = doc[doc.index("</head>") :]
    assert not re.search(r"<(iframe|object|embed|frameset|portal|fencedframe)[\s/>]", body, re.I)
    assert "&lt;IFRAME src=x>" in body and "&lt;iframe\nsrcdoc=y>" in body
    assert "i<Object.keys(o).length && j<frames.length" in body  # scripts keep their "<"
    assert "<iframes>" in body  # not a frame: another tag name


def test_pages_allow_no_inline_script() -> None:
    for frames in (False, True):
        policy = dict(p.split(" ", 1) for p in page_csp(design_frames=frames).split("; "))
        assert policy["script-src"] == "'self'"
        assert policy["frame-src"] == ("'self'" if frames else "'none'")


async def test_a_design_cut_before_its_document_says_so(scripted, api_client) -> None:
    # the arena's answer bound stops both answers after a few words of preamble
    preamble = "Let me first explain the layout I have in mind for this page, step by step. "
    arena = scripted(
        {"deepseek-v3": [preamble * 20 + PAGE], "gpt-4o": [PAGE]}, max_answer_tokens=12
    )
    c = await api_client(arena)
    battle_id, srcs = await design_battle(c)
    battle = (await c.get(f"/api/battles/{battle_id}")).json()
    answers = [battle["turns"][0][side] for side in ("a", "b")]
    assert sorted(a["cut"] for a in answers) == [False, True]
    texts = [(await c.get(src)).text for src in srcs]
    assert sum("cut at its length limit" in t for t in texts) == 1
    assert not any("No document in this answer" in t for t in texts)
