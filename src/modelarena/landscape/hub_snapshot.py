"""A Hub metadata snapshot in DuckDB: the models, their parents and their root base models.

A snapshot is a Parquet or JSON Lines file with the Hub's own fields (``id, author,
createdAt, downloads, downloadsAllTime, tags, cardData, baseModels, pipeline_tag,
library_name, gguf``), e.g. the public ``hub-stats`` dump or what ``arena landscape
hub-fetch`` writes. Columns that are missing are read as empty.

Lineage (who a model is built on), from the first source that has it:

1. ``baseModels`` (the Hub's own field: ``{relation, models: [{id}]}``);
2. the tags ``base_model:<relation>:<repo>`` (relation ``finetune``, ``adapter``,
   ``quantized`` or ``merge``), which the listing carries;
3. the card's ``base_model`` (one id or a list) and ``base_model_relation``
   (``unspecified`` when the card does not say).

The root of a model is found by following parents until a model without one. A model with k
parents (a merge) gives 1/k to each, so a model's credit is a distribution over roots. A
parent that is not in the snapshot is taken as a root (its organisation is the prefix of its
id): on a full snapshot that is rare, on a sample common, and :class:`Lineage` counts it.
A cycle (a model met again on its own chain) or a chain longer than ``MAX_DEPTH`` is left
unresolved: that part of the credit goes to an unknown root, and :class:`Lineage` counts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_DEPTH = 1024
RELATIONS = ("finetune", "adapter", "quantized", "merge")

INSTALL_HINT = "the landscape figures need DuckDB: pip install 'modelarena[landscape]'"


class SnapshotError(ValueError):
    """The snapshot cannot be read; the message names the file and the fix."""


def duckdb_module() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise SnapshotError(INSTALL_HINT) from exc
    return duckdb


_JSON_COLUMNS = {
    "id": "VARCHAR",
    "author": "VARCHAR",
    "createdAt": "VARCHAR",
    "downloads": "BIGINT",
    "downloadsAllTime": "BIGINT",
    "tags": "VARCHAR[]",
    "cardData": "JSON",
    "baseModels": "JSON",
    "pipeline_tag": "VARCHAR",
    "library_name": "VARCHAR",
    "gguf": "JSON",
}


def _json_base(col: str) -> tuple[str, str]:
    return (
        f"{col} ->> '$.relation'",
        f"CAST(json_extract_string({col}, '$.models[*].id') AS VARCHAR[])",
    )


def source_sql(con: Any, path: Path) -> str:
    """A SELECT reading ``path`` into the columns ``_build_models`` needs: id, author,
    created, downloads, downloadsAllTime, tags, card (JSON text), bm_relation, bm_parents,
    pipeline_tag, library_name, has_gguf. A missing column reads as NULL. Parquet columns are
    read in their own types (hub-stats: baseModels a struct, cardData a JSON string), so no
    row is converted that does not need to be."""
    name = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        reader = f"read_parquet('{name}')"
        types = {
            r[0]: str(r[1]).upper()
            for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        }
    else:
        columns = ", ".join(f"'{c}': '{k}'" for c, k in _JSON_COLUMNS.items())
        reader = (
            f"read_json('{name}', format='newline_delimited', columns={{{columns}}}, "
            "ignore_errors=false)"
        )
        types = dict(_JSON_COLUMNS)

    def col(c: str, default: str) -> str:
        return f'"{c}"' if c in types else f"CAST(NULL AS {default})"

    created = types.get("createdAt", "")
    created_sql = (
        'CAST("createdAt" AS TIMESTAMP)'
        if created.startswith("TIMESTAMP")
        else f"TRY_CAST({col('createdAt', 'VARCHAR')} AS TIMESTAMP)"
    )
    card = types.get("cardData", "")
    card_sql = (
        '"cardData"'
        if card in ("VARCHAR", "JSON")
        else 'CAST(to_json("cardData") AS VARCHAR)'
        if card
        else "CAST(NULL AS VARCHAR)"
    )
    base = types.get("baseModels", "")
    if base.startswith("STRUCT"):
        bm_rel, bm_parents = '"baseModels".relation', '[m.id FOR m IN "baseModels".models]'
    elif base:
        bm_rel, bm_parents = _json_base('"baseModels"')
    else:
        bm_rel, bm_parents = "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR[])"
    return f"""SELECT {col("id", "VARCHAR")} AS id, {col("author", "VARCHAR")} AS author,
        {created_sql} AS created,
        {col("downloads", "BIGINT")} AS downloads,
        {col("downloadsAllTime", "BIGINT")} AS downloadsAllTime,
        {col("tags", "VARCHAR[]")} AS tags, {card_sql} AS card,
        {bm_rel} AS bm_relation, {bm_parents} AS bm_parents,
        {col("pipeline_tag", "VARCHAR")} AS pipeline_tag,
        {col("library_name", "VARCHAR")} AS library_name,
        {col("gguf", "VARCHAR")} IS NOT NULL AS has_gguf
        FROM {reader}"""


@dataclass(frozen=True)
class Lineage:
    models: int
    with_parents: int
    roots_outside: int  # distinct parents that are not in the snapshot (taken as roots)
    unresolved: int  # models whose chain did not end within MAX_DEPTH (cycles)
    credit_outside: float  # of the models with parents, the part credited to roots outside
    sources: dict[str, int]  # where lineage came from: baseModels, tags, cardData


def open_snapshot(path: str | Path, *, memory_limit: str | None = None) -> tuple[Any, Lineage]:
    """A DuckDB connection holding ``models`` (one row per model, normalised) and ``credit``
    (model, root, root_org, w: each model's share of each root), and lineage counts."""
    duckdb = duckdb_module()
    p = Path(path)
    if not p.exists():
        raise SnapshotError(f"snapshot not found: {p}")
    if p.suffix.lower() not in (".parquet", ".jsonl", ".json", ".ndjson"):
        raise SnapshotError(f"{p}: a snapshot is a .parquet or .jsonl file")
    if p.is_file() and p.stat().st_size == 0:
        raise SnapshotError(f"{p}: the file is empty; a snapshot holds one Hub model a row")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # the CLI shows its own
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    try:
        con.execute(f"CREATE TEMP VIEW raw AS {source_sql(con, p)}")
        _build_models(con)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise SnapshotError(f"{p}: not a Hub snapshot this can read ({first})") from exc
    return con, _build_credit(con)


def _build_models(con: Any) -> None:
    rels = ", ".join(f"'{r}'" for r in RELATIONS)
    con.execute(
        f"""
        CREATE TEMP TABLE models AS
        WITH typed AS (
          SELECT *,
            [t FOR t IN coalesce(tags, []) IF starts_with(t, 'base_model:')] AS bm_tags
          FROM raw WHERE id IS NOT NULL
        ), typed2 AS (
          -- the relation tags among the few base_model tags (a repo id has no ':')
          SELECT * EXCLUDE (bm_tags),
            [t FOR t IN bm_tags IF len(string_split(t, ':')) = 3
               AND split_part(t, ':', 2) IN ({rels})] AS rel_tags
          FROM typed
        ), base AS (
          SELECT
            id,
            lower(id) AS key,
            coalesce(author, CASE WHEN contains(id, '/') THEN split_part(id, '/', 1) END)
              AS author,
            created,
            coalesce(downloads, 0) AS downloads,
            coalesce(downloadsAllTime, downloads, 0) AS downloads_all,
            pipeline_tag,
            (has_gguf OR list_contains(coalesce(tags, []), 'gguf')
              OR coalesce(library_name = 'gguf', false)) AS is_gguf,
            bm_relation,
            bm_parents,
            [split_part(t, ':', 3) FOR t IN rel_tags] AS tag_parents,
            [split_part(t, ':', 2) FOR t IN rel_tags] AS tag_relations,
            -- the card is read only when neither baseModels nor the tags name a parent
            CASE WHEN coalesce(len(bm_parents), 0) = 0 AND len(rel_tags) = 0 THEN
              CASE json_type(card -> '$.base_model')
                WHEN 'VARCHAR' THEN [card ->> '$.base_model']
                WHEN 'ARRAY' THEN CAST(json_extract_string(card, '$.base_model[*]')
                                       AS VARCHAR[])
              END
            END AS card_parents,
            CASE WHEN coalesce(len(bm_parents), 0) = 0 AND len(rel_tags) = 0 THEN
              card ->> '$.base_model_relation'
            END AS card_relation
          FROM typed2
        )
        SELECT
          id, key, author, created, downloads, downloads_all, pipeline_tag, is_gguf,
          CASE
            WHEN len(bm_parents) > 0 THEN 'baseModels'
            WHEN len(tag_parents) > 0 THEN 'tags'
            WHEN len(card_parents) > 0 THEN 'cardData'
          END AS lineage_source,
          CASE
            WHEN len(bm_parents) > 0 THEN coalesce(bm_relation, 'unspecified')
            WHEN len(tag_parents) > 0 THEN
              CASE WHEN list_contains(tag_relations, 'merge') THEN 'merge'
                   ELSE tag_relations[1] END
            WHEN len(card_parents) > 0 THEN coalesce(card_relation, 'unspecified')
          END AS relation,
          list_distinct([lower(x) FOR x IN
            CASE WHEN len(bm_parents) > 0 THEN bm_parents
                 WHEN len(tag_parents) > 0 THEN tag_parents
                 ELSE coalesce(card_parents, []) END
            IF x IS NOT NULL AND trim(x) <> '' AND lower(x) <> key]) AS parents,
          [x FOR x IN
            CASE WHEN len(bm_parents) > 0 THEN bm_parents
                 WHEN len(tag_parents) > 0 THEN tag_parents
                 ELSE coalesce(card_parents, []) END
            IF x IS NOT NULL AND trim(x) <> '' AND lower(x) <> key] AS parents_as_written
        FROM base
        """
    )


def _build_credit(con: Any) -> Lineage:
    con.execute(
        """
        CREATE TEMP TABLE edges AS
        SELECT key AS child, unnest(parents) AS parent, CAST(1.0 AS DOUBLE) / len(parents) AS w
        FROM models WHERE len(parents) > 0
        """
    )
    # a root outside the snapshot is named by its id as the child wrote it (case kept)
    con.execute(
        """CREATE TEMP TABLE parent_names AS
           SELECT lower(p) AS key, min(p) AS name FROM (SELECT unnest(parents_as_written) AS p
           FROM models WHERE len(parents) > 0) GROUP BY 1"""
    )
    con.execute("CREATE TEMP TABLE children AS SELECT DISTINCT child FROM edges")
    # walk: (model, node, w), one step along the parents, and a root steps to itself; squaring
    # it doubles the steps walked, so a chain of length L takes log2(L) joins
    con.execute(
        """CREATE TEMP TABLE walk AS
           SELECT child AS model, parent AS node, w FROM edges
           UNION ALL
           SELECT DISTINCT parent, parent, CAST(1.0 AS DOUBLE) FROM edges
           WHERE parent NOT IN (SELECT child FROM children)"""
    )
    steps = 1
    while steps < MAX_DEPTH:
        if not con.execute(
            "SELECT count(*) FROM walk WHERE node IN (SELECT child FROM children)"
        ).fetchone()[0]:
            break
        con.execute(
            """CREATE OR REPLACE TEMP TABLE walk AS
               SELECT a.model, b.node, sum(a.w * b.w) AS w
               FROM walk a JOIN walk b ON b.model = a.node GROUP BY ALL"""
        )
        steps *= 2
    # what has not reached a root by now is on a cycle (or deeper than MAX_DEPTH): its part of
    # the credit goes to no one (an unknown root)
    con.execute(
        """CREATE TEMP TABLE done AS
           SELECT model, CASE WHEN node IN (SELECT child FROM children) THEN NULL ELSE node END
                  AS node, w
           FROM walk WHERE model IN (SELECT child FROM children)
           UNION ALL
           SELECT key, key, CAST(1.0 AS DOUBLE) FROM models WHERE len(parents) = 0"""
    )
    unresolved = con.execute(
        "SELECT count(DISTINCT model) FROM done WHERE node IS NULL"
    ).fetchone()[0]
    con.execute(
        """
        CREATE TEMP TABLE credit AS
        SELECT d.model, d.node AS root,
               coalesce(m.author, CASE WHEN contains(d.node, '/')
                                       THEN split_part(coalesce(pn.name, d.node), '/', 1)
                                  END) AS root_org,
               m.key IS NULL AS outside,
               sum(d.w) AS w
        FROM done d LEFT JOIN models m ON m.key = d.node
        LEFT JOIN parent_names pn ON pn.key = d.node
        GROUP BY ALL
        """
    )
    counts = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE len(parents) > 0) FROM models"""
    ).fetchone()
    outside = con.execute(
        "SELECT count(DISTINCT parent) FROM edges WHERE parent NOT IN (SELECT key FROM models)"
    ).fetchone()[0]
    sources = dict(
        con.execute(
            """SELECT lineage_source, count(*) FROM models WHERE lineage_source IS NOT NULL
               GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    )
    outside_w = con.execute(
        """SELECT coalesce(sum(c.w) FILTER (WHERE c.outside), 0)
                  / greatest(count(DISTINCT c.model), 1)
           FROM credit c JOIN children ch ON ch.child = c.model"""
    ).fetchone()[0]
    for table in ("walk", "done"):
        con.execute(f"DROP TABLE {table}")
    return Lineage(
        models=int(counts[0]),
        with_parents=int(counts[1]),
        roots_outside=int(outside),
        unresolved=int(unresolved),
        credit_outside=float(outside_w),
        sources={str(k): int(v) for k, v in sources.items()},
    )


__all__ = [
    "INSTALL_HINT",
    "MAX_DEPTH",
    "RELATIONS",
    "Lineage",
    "SnapshotError",
    "duckdb_module",
    "open_snapshot",
    "source_sql",
]
