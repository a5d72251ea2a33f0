"""Bar charts as inline SVG: counts over months or days, readable without JavaScript."""

from __future__ import annotations

from html import escape

#: Drawing size (px): the chart scales to its container's width; room for the count axis at left.
WIDTH, HEIGHT, LABEL, AXIS = 720, 140, 18, 28
MIN_SLOTS = 24


def bar_chart(series: list[tuple[str, int]], title: str, link: str | None = None) -> str:
    """An SVG bar per (label, count), in order; ``link`` (with ``{label}``) makes each bar a link.
    Labels are shown under the first bar, the last and bars where the year changes."""
    if not series:
        return ""
    top = max(count for _, count in series) or 1
    # At least MIN_SLOTS bar widths across, so that a few bars stay bars and not a block.
    step = (WIDTH - AXIS) / max(len(series), MIN_SLOTS)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + LABEL}" role="img" aria-label="{escape(title)}"'
        f' preserveAspectRatio="none"><title>{escape(title)}</title>'
    ]
    parts.append(
        f'<text class="axis" x="{AXIS - 4}" y="10" text-anchor="end">{top}</text>'
        f'<text class="axis" x="{AXIS - 4}" y="{HEIGHT}" text-anchor="end">0</text>'
        f'<line x1="{AXIS}" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" stroke="#999" stroke-width="1"/>'
    )
    labelled = _labelled(series, step)
    for i, (label, count) in enumerate(series):
        h = max(count / top * HEIGHT, 1.0) if count else 0.0
        x, y = AXIS + i * step, HEIGHT - h
        rect = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        if link and count:
            rect = f'<a href="{escape(link.format(label=label))}">{rect}</a>'
        parts.append(rect)
        if i in labelled:
            anchor = "end" if i == len(series) - 1 and i else "start"
            parts.append(
                f'<text x="{x + (bar if anchor == "end" else 0):.1f}" y="{HEIGHT + LABEL - 4}"'
                f' text-anchor="{anchor}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _labelled(series: list[tuple[str, int]], step: float, gap: float = 60.0) -> set[int]:
    """The bars that get a label: the first, the last, and each where the year changes, as long
    as it stands ``gap`` px clear of the labels kept (the first and the last come first)."""
    last = len(series) - 1
    kept = {0, last}
    for i in range(1, last):
        if series[i][0][:4] != series[i - 1][0][:4] and all(abs(i - k) * step >= gap for k in kept):
            kept.add(i)
    if last and last * step < gap:
        kept.discard(last)
    return kept
