"""Prompt sets shipped with modelarena (data files; read with ``judge.prompts.load_prompts``)."""
