"""Audits: safety (jailbreak, hijack, over-refusal) and information (censorship, state
narratives, false claims) probes run on the configured models, labelled by judges, reported
with intervals beside the ratings and never blended into them. See docs/audits.md.

The contract between the engine and the suites is in :mod:`.probes`."""
