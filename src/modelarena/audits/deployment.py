"""What an audit records about a deployment beyond its configuration's plain fields: who
serves it and how it is quantised, read from the configuration where it does not say."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from modelarena.config import ModelConfig

_QUANT = re.compile(
    r"(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|FP16|F32|FP8|INT8|INT4|AWQ|GPTQ|MLX-?\dBIT)"
    r"(?=$|[-_.])",
    re.I,
)


def quantisation_of(cfg: ModelConfig) -> str | None:
    """The quantisation a configuration says (``options.quantisation``), or the one its GGUF
    file or served model name spells (``...Q4_K_M.gguf``); None when unknown."""
    for key in ("quantisation", "quantization"):
        value = cfg.options.get(key)
        if isinstance(value, str) and value:
            return value
    for name in (cfg.path, cfg.model):
        if name:
            found = _QUANT.findall(PurePath(name).name)
            if found:
                return str(found[-1]).upper()
    return None


def provider_of(cfg: ModelConfig) -> str:
    """Who serves the model: ``options.provider``, else the endpoint's host, else the local
    runtime."""
    value = cfg.options.get("provider")
    if isinstance(value, str) and value:
        return value
    if cfg.base_url:
        return urlparse(cfg.base_url).netloc or cfg.base_url
    if cfg.backend == "gguf" or cfg.path:
        return "local llama.cpp"
    return cfg.backend


def served_model_of(cfg: ModelConfig) -> str:
    """The id the server knows the model by, or the GGUF file's name."""
    return cfg.model or (PurePath(cfg.path).name if cfg.path else cfg.id)
