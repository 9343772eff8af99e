"""Tools that need no config: ``inspect`` a saved page, ``identify`` images against a folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from monitor.cli.common import (
    PlainTable,
    app,
    err,
    out,
)
from monitor.errors import UsageError

# --- offline tools --------------------------------------------------------------------------------


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A saved search or product page (.html)")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """Parse a saved page and show what ismon sees."""
    from monitor.pages import page_to_json, parse_page

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: {exc.strerror or exc}") from None
    page = parse_page(data)
    result = page_to_json(page)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    out.print(Text(f"{file}: {result['kind']} page", style="bold"))
    if result.get("asin"):
        out.print(f"ASIN {result['asin']}")
    ads: list[dict[str, Any]] = result.get("ads", [])  # type: ignore[assignment]
    if ads:
        table = PlainTable(title=f"{len(ads)} ads")
        for column in ("asin", "unit", "placement", "position", "image id"):
            table.add_column(column)
        for ad in ads:
            table.add_row(
                ad["asin"],
                ad["unit"],
                ad["placement"] or "-",
                str(ad["position"] or "-"),
                ad["image_id"] or "-",
            )
        out.print(table)
    organic: list[dict[str, Any]] = result.get("organic", [])  # type: ignore[assignment]
    if organic:
        table = PlainTable(title=f"{len(organic)} organic results")
        for column in ("asin", "position", "image id"):
            table.add_column(column)
        for item in organic:
            table.add_row(item["asin"], str(item["position"] or "-"), item["image_id"] or "-")
        out.print(table)
    slots: list[dict[str, Any]] = result.get("gallery", [])  # type: ignore[assignment]
    if slots:
        table = PlainTable(title=f"gallery: {len(slots)} images")
        for column in ("variant", "image ids", "url"):
            table.add_column(column, overflow="fold")
        for slot in slots:
            table.add_row(slot["variant"], " ".join(slot["image_ids"]), slot["url"] or "-")
        out.print(table)
    if not (ads or organic or slots):
        out.print("nothing recognisable on this page" if result["kind"] != "search" else "no results")


@app.command()
def identify(
    images: Annotated[list[Path], typer.Argument(help="Ad images to identify")],
    gallery: Annotated[Path, typer.Option("--gallery", help="Folder of MAIN.jpg, PT01.png, ...")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Which gallery image (of DIR) each IMAGE is."""
    from monitor.imaging.folder import identify_files, load_gallery_dir

    index = load_gallery_dir(gallery)
    failed = False
    for line in identify_files(index, images):
        if as_json:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        if "error" in line:
            failed = True
            err.print(Text(f"{line['image']}: {line['error']}", style="red"))
            continue
        extra = (
            f" (runner-up {line['runner_up']} at {line['runner_up_distance']:.3f})"
            if line["runner_up"]
            else ""
        )
        variant = line["variant"] or "-"
        distance = line["distance"]
        shown = f"{distance:.3f}" if isinstance(distance, float) else "-"
        out.print(Text(f"{line['image']}: {line['verdict']} {variant} distance {shown}{extra}"))
    if failed:
        raise typer.Exit(1)
