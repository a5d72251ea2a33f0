"""Bar charts as inline SVG: counts over months or days, readable without JavaScript."""

from __future__ import annotations

from html import escape

#: Drawing size (px): the chart scales to its container's width.
WIDTH, HEIGHT, LABEL = 720, 140, 18


def bar_chart(series: list[tuple[str, int]], title: str, link: str | None = None) -> str:
    """An SVG bar per (label, count), in order; ``link`` (with ``{label}``) makes each bar a link.
    Labels are shown under the first bar, the last and every bar where the year changes."""
    if not series:
        return ""
    top = max(count for _, count in series) or 1
    step = WIDTH / len(series)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + LABEL}" role="img" aria-label="{escape(title)}"'
        f' preserveAspectRatio="none"><title>{escape(title)}</title>'
    ]
    previous_year = None
    for i, (label, count) in enumerate(series):
        h = max(count / top * HEIGHT, 1.0)
        x, y = i * step, HEIGHT - h
        rect = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        if link:
            rect = f'<a href="{escape(link.format(label=label))}">{rect}</a>'
        parts.append(rect)
        year = label[:4]
        if i in (0, len(series) - 1) or year != previous_year:
            anchor = "end" if i == len(series) - 1 and i else "start"
            parts.append(
                f'<text x="{x + (bar if anchor == "end" else 0):.1f}" y="{HEIGHT + LABEL - 4}"'
                f' text-anchor="{anchor}">{escape(label)}</text>'
            )
        previous_year = year
    parts.append("</svg>")
    return "".join(parts)
