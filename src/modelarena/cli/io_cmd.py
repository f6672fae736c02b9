import typer


def register(app: typer.Typer) -> None:  # placeholder until the io module lands
    pass
