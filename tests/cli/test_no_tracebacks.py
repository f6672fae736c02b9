"""No traceback for a user mistake, in any command: the rule, proved by a sweep.

Every command and subcommand is taken from the Typer app itself (a new one is swept
without editing this file) and run with bad arguments and bad files: an unknown option,
numbers that are not numbers or out of range, values outside the allowed set, and for
every file it reads a missing, empty, binary, invalid UTF-8 and wrong-format file. Each
run must end with a non-zero exit and a message, and never with an exception.

Every option must be classified below, so that a new option is swept too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from modelarena.cli.main import app

runner = CliRunner()

# options whose value is free text: any value is a valid one
FREE_TEXT = {
    "--prompt",
    "--voter",
    "--actor",
    "--host",
    "--run",
    "--system-prompt",
    "--run-name",
    "--name",
    "--base-url",
    "--label",
    "--search",
    "--token",
    "--endpoint",  # a URL: a bogus one would be a connection attempt, not a bad argument
    "--pipeline-tag",
}
# options whose value must be one of a set (or name something that exists)
CHOICE = {
    "--format",
    "--category",
    "--source",
    "--method",
    "--verdict",
    "--models",
    "--judge",
    "--baseline",
    "--license-class",
    "--country",
    "--category-default",
    "--log-level",
    "--on-conflict",
    "--suite",
    "--set",
    "--date",
    "--snapshot",
    "--countries",
    "--by",
    "--arena-category",
    "--leading",
    "--lagging",
    "--start",
    "--end",
    "--anchor",
    "--self-hosted",
    "--since",
    "--until",
    "--downloads",
    "--gguf",
    "--family",
    "--language",
    "--model",
    "--chromium",
}
# options and arguments naming a file read
FILES_READ = {
    "--config",
    "--prompts",
    "FILE",
    "SOURCE",
    "--labels",
    "--eci",
    "--hub",
    "--orgs",
    "SNAPSHOT",
    "FOLDER",
}
# files or folders written
FILES_WRITTEN = {"--work-dir", "--out"}
DATABASE = {"--db"}
# arguments that name a stored thing
IDS = {"VOTER", "A", "B", "NAME", "TOKEN", "--battle"}
# files written by a command whose FILE argument is an output
OUTPUT_COMMANDS = {("export",)}

BAD_NUMBER = "not-a-number"
GOOD_CONFIG = """
[[models]]
id = "deepseek-v3"
backend = "scripted"
options = { replies = ["Paris is the capital of France."] }

[[models]]
id = "gpt-4o"
backend = "scripted"
options = { replies = ["The capital of France is Paris."] }
"""


# typer vendors its own click: parameters are read by duck typing
Command = Any


def leaves(group: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    if hasattr(group, "commands"):
        for name, cmd in group.commands.items():
            yield from leaves(cmd, (*path, name))
    else:
        yield path, group


COMMANDS = list(leaves(typer.main.get_command(app)))


def is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def name_of(param: Any) -> str:
    if is_option(param):
        return str(max(param.opts, key=len))
    return str(param.name or "").upper()


@dataclass(frozen=True)
class Files:
    folder: Path

    def bad(self, stem: str) -> dict[str, Path]:
        """One bad file of each kind, with a suffix that promises what it is not."""
        f = self.folder
        out = {
            "missing": f / f"missing-{stem}.jsonl",
            "empty": f / f"empty-{stem}.jsonl",
            "binary": f / f"binary-{stem}.jsonl",
            "invalid-utf8": f / f"latin1-{stem}.csv",
            "wrong-format": f / f"png-{stem}.json",
            "surrogate": f / f"surrogate-{stem}.jsonl",
            "folder": f / f"folder-{stem}.csv",
        }
        out["empty"].write_bytes(b"")
        out["binary"].write_bytes(bytes(range(256)) * 4)
        out["invalid-utf8"].write_bytes(b"model_a,model_b,winner\nd\xe9j\xe0,vu\xff,model_a\n")
        out["wrong-format"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        out["surrogate"].write_text('{"model_a": "\\ud800", "model_b": "x", "winner": "model_a"}\n')
        out["folder"].mkdir(exist_ok=True)
        return out


def bad_configs(files: Files) -> dict[str, Path]:
    out = {k: v for k, v in files.bad("config").items() if k != "empty"}  # empty TOML is valid
    for name, body in {
        "not-toml": "[[models]\nid = ",
        "wrong-type": "models = 3\n",
        "unknown-field": "colour = 'blue'\n",
        "bad-model": "[[models]]\nid = 'x'\nbackend = 'openai'\nmax_tokens = 'many'\n",
    }.items():
        path = files.folder / f"{name}.toml"
        path.write_text(body)
        out[name] = path
    return out


def cases(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """(case id, argv) for every command; argv carries a good config and database unless
    the case is about them."""
    files = Files(tmp_path)
    good = tmp_path / "arena.toml"
    good.write_text(GOOD_CONFIG)
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    for path, cmd in COMMANDS:
        params = {name_of(p): p for p in cmd.params if p.name not in ("help",)}
        required = [p for p in cmd.params if not is_option(p) and p.required]

        def argv(
            *extra: str,
            replace: str | None = None,
            cmd_path: tuple[str, ...] = path,
            required: list[Any] = required,
            params: dict[str, Any] = params,
        ) -> list[str]:
            args = [*cmd_path]
            for arg in required:
                if name_of(arg) != replace:
                    args.append(str(tmp_path / "missing.jsonl") if name_of(arg) == "FILE" else "x")
            if "--config" in params and replace != "--config":
                args += ["--config", str(good)]
            if "--db" in params and replace != "--db":
                args += ["--db", db]
            return [*args, *extra]

        label = " ".join(path)
        yield f"{label} --no-such-option", argv("--no-such-option")
        for name, param in params.items():
            if is_option(param) and param.is_flag:
                continue
            if param.bare_type() in ("int", "float"):
                yield f"{label} {name}=NaN", argv(name, BAD_NUMBER)
                if param.min is not None:
                    yield f"{label} {name}<min", argv(name, str(param.min - 1))
                continue
            if name in FREE_TEXT:
                continue
            positional = not is_option(param)
            if name in CHOICE:
                yield f"{label} {name}=bogus", argv(name, "bogus-value")
            elif name in DATABASE:
                for bad in ("notaurl", "sqlite:////nonexistent-dir/sub/x.db", "mysql://h/x"):
                    yield f"{label} --db={bad}", argv(name, bad, replace=name)
            elif name in FILES_READ and name == "--config":
                for kind_name, file in bad_configs(files).items():
                    yield f"{label} --config={kind_name}", argv(name, str(file), replace=name)
            elif name in FILES_READ and path in OUTPUT_COMMANDS:
                for kind_name, file in {
                    "no-folder": tmp_path / "no" / "such" / "out.jsonl",
                    "unknown-suffix": tmp_path / "out.xyz",
                    "folder": files.bad("out")["folder"],
                }.items():
                    yield f"{label} {name}={kind_name}", argv(str(file), replace=name)
            elif name in FILES_READ:
                for kind_name, file in files.bad(name.strip("-").lower()).items():
                    if positional:
                        yield f"{label} {name}={kind_name}", argv(str(file), replace=name)
                    else:
                        yield f"{label} {name}={kind_name}", argv(name, str(file))
            elif name in FILES_WRITTEN:
                target = files.bad("workdir")["binary"]
                yield f"{label} {name}=a-file", argv(name, str(target))
            elif name in IDS:
                continue  # any id is valid text; an unknown one is a message, checked below
            else:
                pytest.fail(f"classify {name} of `arena {label}` in test_no_tracebacks.py")


def test_every_command_is_swept(sweep: list[tuple[str, list[str]]]) -> None:
    paths = {path for path, _ in COMMANDS}
    swept = {path for path in paths for _, argv in sweep if tuple(argv[: len(path)]) == path}
    assert swept == paths and len(paths) >= 15


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[str]]]:
    return list(cases(tmp_path_factory.mktemp("sweep")))


@pytest.mark.slow  # about 300 runs of the command
def test_no_command_answers_a_mistake_with_a_traceback(
    sweep: list[tuple[str, list[str]]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    # `arena serve` would start serving if a mistake were accepted: it returns at once
    # instead, and the exit code 0 reports the accepted mistake
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.delenv("ARENA_CONFIG", raising=False)
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    problems: list[str] = []
    for case_id, argv in sweep:
        result = runner.invoke(app, argv)
        code, output = result.exit_code, result.output
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed:
            output += f"\n{type(result.exception).__name__}: {result.exception}"
        if crashed or "Traceback" in output:
            problems.append(f"{case_id}: traceback\n{output[-600:]}")
        elif code == 0:
            problems.append(f"{case_id}: accepted (exit 0)\n{output[-300:]}")
        elif not output.strip():
            problems.append(f"{case_id}: exit {code} without a message")
    assert problems == [], "\n\n".join(problems)


def test_an_unknown_voter_is_a_message(sqlite_url: str) -> None:
    for command in ("ban", "unban"):
        result = runner.invoke(app, ["admin", command, "no-such-voter", "--db", sqlite_url])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and result.output.strip()
