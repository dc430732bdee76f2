"""A verified report as a Dutch CSV (like the audit log's: ';', BOM) and as an HTML page
with a bar chart drawn in SVG on the server: no script, printable to PDF as it is.

Both are views of the signed note, which the HTML page carries in full, so whoever gets
the page can check the figures with `steuntje report verify`.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

BOM = "\ufeff"

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Bereik",
        "period": "Periode",
        "days": "van {first} tot en met {last}",
        "breakdown": "Indeling",
        "name": "Naam",
        "total": "Hele organisatie",
        "area": "Wijk",
        "team": "Team",
        "none": "(geen)",
        "reached": "Bereikte mantelzorgers",
        "new": "Nieuwe mantelzorgers",
        "checkins_answered": "Mantelzorgers met beantwoorde check-in",
        "questionnaires_signed": "Ondertekende vragenlijsten ontvangen",
        "groups_active": "Actieve lotgenotengroepen",
        "group_members": "Leden van actieve groepen",
        "small": "<5",
        "protection": (
            "Bescherming: aantallen onder de 5 staan er als <5, alle andere zijn afgerond"
            " op 5. Staat in een indeling maar één cel onder de 5, dan is die hele indeling"
            " verborgen. De cijfers over een periode liggen vast zodra ze gemaakt zijn. Zo"
            " is niemand terug te vinden in deze cijfers."
        ),
        "chart": "Bereikte mantelzorgers per wijk (afgerond; <5 staat er als 0)",
        "signed": (
            "Ondertekend door de organisatie. Controleer met: steuntje report verify"
            " BESTAND --key SLEUTEL"
        ),
    },
    "en": {
        "title": "Reach",
        "period": "Period",
        "days": "from {first} to {last} inclusive",
        "breakdown": "Breakdown",
        "name": "Name",
        "total": "Whole organisation",
        "area": "Area",
        "team": "Team",
        "none": "(none)",
        "reached": "Caregivers reached",
        "new": "New caregivers",
        "checkins_answered": "Caregivers whose check-ins were answered",
        "questionnaires_signed": "Signed questionnaires received",
        "groups_active": "Active peer-support groups",
        "group_members": "Members of active groups",
        "small": "<5",
        "protection": (
            "Protection: counts below 5 show as <5, all others are rounded to 5. Where only"
            " one cell of a breakdown is below 5, the whole breakdown is hidden. A period's"
            " figures are fixed once made. No one can be found in these figures."
        ),
        "chart": "Caregivers reached per area (rounded; <5 shows as 0)",
        "signed": ("Signed by the organisation. Check with: steuntje report verify FILE --key KEY"),
    },
}


def _value(value: Any, words: dict[str, str]) -> str:
    return words["small"] if value is None else str(value)


def _label(row: dict[str, Any], words: dict[str, str]) -> tuple[str, str]:
    kind = row["breakdown"]
    name = row["name"] if row["name"] else (words["none"] if kind != "total" else "")
    return words[kind], name


def to_csv(report: dict[str, Any], lang: str = "nl") -> str:
    """One row per cell; a measure a breakdown does not report is left empty."""
    words = WORDS[lang]
    measures = report["measures"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [words["period"], words["breakdown"], words["name"]] + [words[m] for m in measures]
    )
    for row in report["rows"]:
        values = row["values"]
        writer.writerow(
            [report["period"], *_label(row, words)]
            + [_value(values[m], words) if m in values else "" for m in measures]
        )
    writer.writerow([words["protection"]])
    return BOM + out.getvalue()


def _chart(report: dict[str, Any], words: dict[str, str]) -> str:
    rows = [row for row in report["rows"] if row["breakdown"] == "area"]
    values = [row["values"].get("reached") or 0 for row in rows]
    top = max([*values, 5])
    bar_height, width, label_width = 24, 560, 180
    height = bar_height * len(rows) + 8
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(words["chart"])}</title>',
    ]
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = 4 + index * bar_height
        length = int((width - label_width - 60) * value / top)
        name = escape(_label(row, words)[1])
        shown = escape(_value(row["values"].get("reached"), words))
        parts.append(f'<text x="0" y="{y + 16}" font-size="14" fill="#1a1a1a">{name}</text>')
        parts.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{length}" height="{bar_height - 6}"'
            ' fill="#1f5f8b"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{y + 16}" font-size="14"'
            f' fill="#1a1a1a">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: dict[str, Any], note: str, lang: str = "nl") -> str:
    """A self-contained page: the table, the chart, the protection, and the signed note."""
    words = WORDS[lang]
    measures = report["measures"]
    head = "".join(f'<th scope="col">{escape(words[m])}</th>' for m in measures)
    body = []
    for row in report["rows"]:
        kind, name = _label(row, words)
        cells = "".join(
            f"<td>{escape(_value(row['values'][m], words)) if m in row['values'] else '–'}</td>"
            for m in measures
        )
        body.append(f'<tr><th scope="row">{escape(kind)} {escape(name)}</th>{cells}</tr>')
    days = words["days"].format(first=report["first_day"], last=report["last_day"])
    title = f"{words['title']} {report['period']}"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;color:#1a1a1a;max-width:60rem;margin:1rem auto}"
        "table{border-collapse:collapse}th,td{border:1px solid #555;padding:.3rem .5rem}"
        "td{text-align:right}pre{white-space:pre-wrap;word-break:break-all;font-size:.7rem}"
        "</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(words['period'])}: {escape(days)}</p>"
        f"<p>{escape(words['protection'])}</p>"
        f'<table><thead><tr><th scope="col">{escape(words["breakdown"])}</th>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table>"
        f"<h2>{escape(words['chart'])}</h2>{_chart(report, words)}"
        f"<h2>{escape(words['signed'])}</h2><pre>{escape(note)}</pre>"
        "</body></html>"
    )
