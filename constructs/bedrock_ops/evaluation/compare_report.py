"""The reports of ``bedrock-ops compare``: text for the terminal, one self-contained HTML page (inline CSS and
SVG, nothing fetched) for a person."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

from bedrock_ops.evaluation.compare import SCORE_METRICS, Answer, CompareResult

__all__ = ["format_text", "render_html"]


# ---------------------------------------------------------------------------------------------- text


def _money(value: float | None, currency: str) -> str:
    return "unpriced" if value is None else f"{value:.6f} {currency}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _answer_line(answer: Answer, currency: str) -> str:
    if answer.status == "error":
        return f"ERROR ({answer.error})"
    parts = []
    if answer.status == "refused":
        parts.append(f"REFUSED ({answer.stop_reason})")
    parts.append(f"{_ms(answer.latency_ms)} (service {_ms(answer.service_latency_ms)})")
    parts.append(f"in {answer.input_tokens} / out {answer.output_tokens} tokens")
    parts.append(_money(answer.cost, currency))
    parts.extend(f"{m} {v:.4f}" if m != "bleu" else f"bleu {v:.2f}" for m, v in answer.scores.items())
    if answer.attempts > 1:
        parts.append(f"{answer.attempts} attempts")
    return "  ".join(parts)


def format_text(result: CompareResult, *, width: int = 100) -> str:
    """Prompt by prompt, each model's answer under the others, then a summary table."""
    out = [
        f"Compare: {len(result.prompts)} prompt(s) x {len(result.models)} models (Bedrock Converse; prices "
        f"{result.currency} as of {result.pricing_as_of}, {result.pricing_region})",
    ]
    name_width = max(len(m) for m in result.models)
    for i, (prompt, row) in enumerate(zip(result.prompts, result.answers, strict=True), start=1):
        out.append("")
        out.append(textwrap.shorten(f"[{i}] {prompt.prompt}", width=width, placeholder=" ..."))
        if prompt.reference:
            out.append("    " + textwrap.shorten(f"reference: {prompt.reference}", width=width - 4, placeholder=" ..."))
        for answer in row:
            out.append(f"  {answer.model.ljust(name_width)}  {_answer_line(answer, result.currency)}")
            if answer.text:
                out.extend(
                    textwrap.wrap(
                        answer.text, width=width, initial_indent="      ", subsequent_indent="      ", max_lines=6
                    )
                )
    out.append("")
    out.append("Summary")
    header = ["model", "answered", "refused", "errors", "latency", "service", "in tok", "out tok", "cost"]
    header += list(SCORE_METRICS) if any(s.scores for s in result.summaries) else []
    table = [header]
    for s in result.summaries:
        n = len(result.prompts)
        line = [
            s.model,
            f"{s.answered}/{n}",
            str(s.refused),
            str(s.errors),
            _ms(s.mean_latency_ms),
            _ms(s.mean_service_latency_ms),
            str(s.input_tokens),
            str(s.output_tokens),
            _money(s.cost, result.currency),
        ]
        if len(header) > 9:
            line += [
                f"{s.scores.get(m, float('nan')):.4f}" if m != "bleu" else f"{s.scores.get(m, 0):.2f}"
                for m in SCORE_METRICS
            ]
        table.append(line)
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for r in table:
        out.append(
            "  " + "  ".join(cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(r))
        )
    total = f"total cost: {result.total_cost:.6f} {result.currency}"
    if result.cost_partial:
        unpriced = [s for s in result.summaries if s.cost is None]
        total += " (partial: unpriced " + "; ".join(f"{s.model}: {s.unpriced_reason}" for s in unpriced) + ")"
    out.append(total)
    out.append(
        "latency: mean per answered or refused call, measured around the call; service = Converse metrics.latencyMs"
    )
    if result.score_note:
        out.append(result.score_note)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- HTML

_COLORS = ("#2f6fb0", "#c8581d", "#3b8f4e", "#8a4fb0", "#b0304f")
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d232a;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #d4d9de;padding:.4rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.prompt{background:#f7f9fb;padding:.6rem;border-left:4px solid #2f6fb0;white-space:pre-wrap}
.reference{color:#4a5560;white-space:pre-wrap}.answer{white-space:pre-wrap}
.meta{color:#4a5560;font-size:.85rem}.refused{color:#a05a00;font-weight:600}.error{color:#b0304f;font-weight:600}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
""".strip()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], unit: str, y: int) -> tuple[str, int]:
    """A horizontal bar chart block of the SVG starting at ``y``; returns the markup and the next ``y``."""
    parts = [f'<text x="0" y="{y + 14}" font-size="13" font-weight="600">{_e(title)}</text>']
    y += 24
    known = [v for v in values if v is not None]
    top = max(known) if known and max(known) > 0 else 1.0
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        color = _COLORS[k % len(_COLORS)]
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{_e(label)}</text>')
        if value is None:
            parts.append(f'<text x="330" y="{y + 13}" font-size="12" fill="#4a5560">n/a ({_e(unit)})</text>')
        else:
            bar = max(1.0, 300 * value / top)
            parts.append(f'<rect x="330" y="{y}" width="{bar:.1f}" height="16" fill="{color}"/>')
            parts.append(f'<text x="{336 + bar:.1f}" y="{y + 13}" font-size="12">{_e(_fmt_value(value, unit))}</text>')
        y += 22
    return "".join(parts), y + 10


def _fmt_value(value: float, unit: str) -> str:
    return f"{value:,.0f} ms" if unit == "ms" else f"{value:.6f} {unit}"


def render_html(result: CompareResult) -> str:
    """One self-contained HTML page: inline CSS and SVG, no scripts, fonts or external URLs."""
    models = result.models
    chart_latency, y = _bar_chart(
        "Mean latency (client-side)", models, [s.mean_latency_ms for s in result.summaries], "ms", 0
    )
    chart_cost, y = _bar_chart(
        f"Cost of this run ({result.currency})",
        models,
        [s.cost for s in result.summaries],
        result.currency,
        y,
    )
    svg = (
        f'<svg role="img" aria-label="latency and cost per model" width="760" height="{y}" '
        f'viewBox="0 0 760 {y}">{chart_latency}{chart_cost}</svg>'
    )
    head = [
        "Model",
        "Answered",
        "Refused",
        "Errors",
        "Mean latency",
        "Service latency",
        "Input tokens",
        "Output tokens",
        "Cost",
    ]
    scored = any(s.scores for s in result.summaries)
    if scored:
        head += ["ROUGE-L", "BLEU"]
    rows_html = []
    for k, s in enumerate(result.summaries):
        cells = [
            f'<td><span class="swatch" style="background:{_COLORS[k % len(_COLORS)]}"></span>{_e(s.model)}</td>',
            f'<td class="num">{s.answered}/{len(result.prompts)}</td>',
            f'<td class="num">{s.refused}</td>',
            f'<td class="num">{s.errors}</td>',
            f'<td class="num">{_e(_ms(s.mean_latency_ms))}</td>',
            f'<td class="num">{_e(_ms(s.mean_service_latency_ms))}</td>',
            f'<td class="num">{s.input_tokens}</td>',
            f'<td class="num">{s.output_tokens}</td>',
            f'<td class="num">{_e(_money(s.cost, result.currency))}'
            + (f'<div class="meta">{_e(s.unpriced_reason)}</div>' if s.unpriced_reason else "")
            + "</td>",
        ]
        if scored:
            cells.append(f'<td class="num">{s.scores.get("rougeL", float("nan")):.4f}</td>')
            cells.append(f'<td class="num">{s.scores.get("bleu", float("nan")):.2f}</td>')
        rows_html.append("<tr>" + "".join(cells) + "</tr>")
    total = f"Total cost: {_e(_money(result.total_cost, result.currency))}"
    if result.cost_partial:
        total += " (partial: some models are unpriced)"
    sections = []
    for i, (prompt, row) in enumerate(zip(result.prompts, result.answers, strict=True), start=1):
        answers = []
        for answer in row:
            if answer.status == "error":
                body = f'<div class="error">error</div><div class="meta">{_e(answer.error)}</div>'
            else:
                flag = (
                    f'<div class="refused">refused ({_e(answer.stop_reason)})</div>'
                    if answer.status == "refused"
                    else ""
                )
                scores = "".join(f" &middot; {_e(m)} {v:.4f}" for m, v in answer.scores.items())
                body = (
                    f'{flag}<div class="answer">{_e(answer.text)}</div><div class="meta">{_e(_ms(answer.latency_ms))}'
                    f" (service {_e(_ms(answer.service_latency_ms))}) &middot; {answer.input_tokens} in / "
                    f"{answer.output_tokens} out tokens &middot; "
                    f"{_e(_money(answer.cost, result.currency))}{scores}</div>"
                )
            answers.append(f"<td>{body}</td>")
        reference = f'<p class="reference"><b>Reference:</b> {_e(prompt.reference)}</p>' if prompt.reference else ""
        sections.append(
            f'<section><h2>Prompt {i}</h2><div class="prompt">{_e(prompt.prompt)}</div>{reference}'
            f"<table><tr>{''.join(f'<th>{_e(m)}</th>' for m in models)}</tr>"
            f"<tr>{''.join(answers)}</tr></table></section>"
        )
    note = f'<p class="meta">{_e(result.score_note)}</p>' if result.score_note else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>bedrock-ops compare: {_e(', '.join(models))}</title><style>{_CSS}</style></head><body>"
        f"<h1>Model comparison: {len(result.prompts)} prompt(s), {len(models)} models</h1>"
        f'<p class="meta">Bedrock Converse API. Prices: {_e(result.currency)} as of {_e(result.pricing_as_of)} '
        f"({_e(result.pricing_region)}, the packaged pricing table or yours); estimates.</p>"
        f"{svg}<h2>Summary</h2><table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{''.join(rows_html)}</table>"
        f"<p>{total}</p>{note}{''.join(sections)}</body></html>\n"
    )
