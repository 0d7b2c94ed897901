"""The report as a PDF (fpdf2, pure Python): the title, the score large, the thumbnail,
engine readiness, the checks table, the fixes, the LODs and the geometry, all as real
text a reader can search and copy.

The core Helvetica font carries Latin-1 only, so the few symbols the messages use are
spelled out (≤ as <=, × as x) and anything else outside Latin-1 becomes "?".
"""

from __future__ import annotations

import io

from fpdf import FPDF

from health.report.grading import HealthReport

THUMB_X, THUMB_Y, THUMB_W = 140.0, 12.0, 58.0
"""Where the thumbnail sits on page 1, in mm from the top-left corner (A4)."""
SPELLED = {"≤": "<=", "≥": ">=", "×": "x", "→": "->", "–": "-", "—": "-", "…": "..."}
RESULT_COLOURS = {
    "pass": (30, 130, 60),
    "warn": (190, 120, 0),
    "fail": (190, 30, 30),
    "skip": (120, 120, 120),
}


def report_pdf(report: HealthReport, thumbnail_png: bytes | None, title: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin1(title))
    pdf.set_creator("meshfarm health report")
    pdf.add_page()
    _header(pdf, report, thumbnail_png, title)
    _readiness(pdf, report)
    _checks(pdf, report)
    _geometry(pdf, report)
    _fixes_and_lods(pdf, report)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    for symbol, words in SPELLED.items():
        text = text.replace(symbol, words)
    return text.encode("latin-1", "replace").decode("latin-1")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _header(pdf: FPDF, report: HealthReport, thumbnail: bytes | None, title: str) -> None:
    if thumbnail is not None:
        pdf.image(io.BytesIO(thumbnail), x=THUMB_X, y=THUMB_Y, w=THUMB_W)
    width = THUMB_X - pdf.l_margin - 4
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(width, 5, "Asset health report", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 48)
    pdf.cell(40, 22, str(report.score))
    pdf.set_font("Helvetica", "", 14)
    pdf.cell(width - 40, 22, f"/ 100  health score (v{report.score_version})")
    pdf.ln(24)
    pdf.set_font("Helvetica", "", 9)
    for text in (
        f"Source: {report.source_format}    Target: {report.target}",
        f"Physics material: {report.physics_material.kind} ({report.physics_material.reason})",
        f"Collision: {len(report.collision.hulls)} convex hulls"
        + (" generated" if report.collision.generated else " (incomplete)"),
        f"Report time: {report.seconds:.2f} s",
    ):
        pdf.multi_cell(width, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), THUMB_Y + THUMB_W + 2))


def _readiness(pdf: FPDF, report: HealthReport) -> None:
    _heading(pdf, "Engine readiness")
    with pdf.table(col_widths=(30, 18, 142), text_align="LEFT", line_height=5) as table:
        table.row(["engine", "ready", "requirements not met"])
        for engine, r in report.engine_readiness.items():
            missing = [f"{c.name} ({c.detail})" for c in r.checks if not c.ok]
            table.row([engine, "yes" if r.ready else "no", _latin1("; ".join(missing) or "-")])


def _checks(pdf: FPDF, report: HealthReport) -> None:
    _heading(pdf, "Checks")
    with pdf.table(col_widths=(48, 14, 14, 114), text_align="LEFT", line_height=5) as table:
        table.row(["id (version)", "result", "weight", "message"])
        for c in report.checks:
            row = table.row()
            row.cell(f"{c.id} (v{c.version})")
            pdf.set_text_color(*RESULT_COLOURS[c.result])
            row.cell(c.result)
            pdf.set_text_color(0, 0, 0)
            row.cell(f"{c.weight:g}")
            row.cell(_latin1(c.message))


def _fixes_and_lods(pdf: FPDF, report: HealthReport) -> None:
    _heading(pdf, "Fixes applied")
    _line(pdf, ", ".join(report.fixes_applied) or "none")
    _heading(pdf, "Levels of detail")
    if not report.lods:
        _line(pdf, "none")
        return
    with pdf.table(col_widths=(30, 40, 120), text_align="LEFT", line_height=5) as table:
        table.row(["ratio", "triangles", "error (of the box diagonal)"])
        for lod in report.lods:
            table.row([f"{lod.ratio:g}", str(lod.triangles), f"{100 * lod.error:.3f} %"])


def _geometry(pdf: FPDF, report: HealthReport) -> None:
    g = report.geometry
    _heading(pdf, "Geometry")

    def vec(v: tuple[float, float, float] | None) -> str:
        return "-" if v is None else ", ".join(f"{round(x, 6) + 0.0:.4g}" for x in v)

    for text in (
        f"Vertices: {g.vertices}    Triangles: {g.triangles}    Meshes: {g.meshes}",
        f"Materials: {g.materials}    Textures: {g.textures}",
        f"Bounds (m): min {vec(g.bounds_min)}  max {vec(g.bounds_max)}",
        f"Size (m): {vec(g.size_m)}    Up axis: {g.up_axis}    "
        f"Metres per unit: {g.meters_per_unit:g}",
    ):
        _line(pdf, text)
