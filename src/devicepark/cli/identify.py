"""``devicepark imei check`` and ``devicepark tac import|lookup``: identify devices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import StoreOpt, TableOrJson, out, print_json, print_table, progress_bar

FormatOpt = Annotated[TableOrJson, typer.Option("--format", help="table or json.")]
IMEI_KEYS = ("value", "valid", "reason", "kind", "tac")
IMPORT_KEYS = ("file", "layout", "rows", "imported", "rejected", "conflicts")


def register(app: typer.Typer) -> None:
    imei = typer.Typer(help="IMEI rules: check values.", no_args_is_help=True)
    imei.command("check")(imei_check)
    app.add_typer(imei, name="imei")
    tac = typer.Typer(help="TAC catalogs: import files, look TACs up.", no_args_is_help=True)
    tac.command("import")(tac_import)
    tac.command("lookup")(tac_lookup)
    app.add_typer(tac, name="tac")


def imei_check(
    values: Annotated[list[str], typer.Argument(help="IMEI, IMEI14 or IMEISV values.")],
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Check IMEI values: valid or a reason code, the kind and the TAC. Exit code 0 either way."""
    from devicepark.identify.imei import parse

    rows = []
    for value in values:
        p = parse(value)
        rows.append(
            {"value": value, "valid": p.valid, "reason": p.reason, "kind": p.kind, "tac": p.tac}
        )
    if fmt is TableOrJson.json:
        print_json(rows)
    else:
        print_table(rows, IMEI_KEYS)


def _reasons(summary: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in summary["reasons"].items())


def tac_import(
    files: Annotated[list[Path], typer.Argument(help="TAC catalog files (CSV, GSMA, Osmocom).")],
    store: StoreOpt,
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Import TAC catalogs into the store (created if needed); a later import wins per TAC."""
    from devicepark.identify.catalog import detect_layout
    from devicepark.ingest.catalog import ingest_catalogs
    from devicepark.store import Store

    for path in files:  # a missing file or an unknown header fails before the store is touched
        detect_layout(path)
    handle = Store.create(store)
    with progress_bar() as cb, handle.transaction() as tx:
        summaries = ingest_catalogs(tx, [str(f) for f in files], progress=cb)
    tacs = handle.refresh().read("catalog", columns=["tac"]).num_rows
    if fmt is TableOrJson.json:
        print_json(
            {"files": [{k: s[k] for k in IMPORT_KEYS} for s in summaries], "tacs_in_catalog": tacs}
        )
        return
    rows = [{**s, "file": Path(s["file"]).name} for s in summaries]
    columns = (
        "file",
        "layout",
        "rows",
        "imported",
        "rejected",
        "duplicates",
        "conflicts",
        "repaired",
    )
    print_table(rows, columns, title="TAC import / import des TAC", right=columns[2:])
    for s in summaries:
        name = Path(s["file"]).name
        if s["skipped"]:
            out.print(f"{name}: already imported, skipped / déjà importé, ignoré")
        elif s["reasons"] or s["repaired"]:
            out.print(
                f"{name}: {_reasons(s) or 'no rejects'}; repaired (spaces around the TAC "
                f"stripped) / réparés: {s['repaired']}"
            )
    out.print("rows = imported + rejected + duplicates")
    out.print(f"TACs in catalog / TAC dans le catalogue: {tacs:,}")


def tac_lookup(
    tacs: Annotated[list[str], typer.Argument(help="8-digit TACs.")],
    store: StoreOpt,
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Vendor, brand, model and device type of each TAC; a TAC in no catalog is vendor Unknown."""
    from devicepark.identify.catalog import LOOKUP_KEYS, lookup
    from devicepark.store import Store

    catalog = Store.open(store).read("catalog")
    rows = lookup(catalog, list(tacs))
    if fmt is TableOrJson.json:
        print_json(rows)
    else:
        print_table(rows, LOOKUP_KEYS)
