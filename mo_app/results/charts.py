"""Server-rendered SVG charts of the year results: geometry here, markup in templates/plan/_chart.html.

Colours are SVG presentation attributes (fill="…"), allowed by the CSP and kept in print and PDF."""

from __future__ import annotations

from dataclasses import dataclass, field

GREEN, RED, AMBER, BLUE, LIGHT_BLUE, GREY = "#2e7d32", "#c62828", "#f9a825", "#1565c0", "#90caf9", "#9e9e9e"


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    size: int = 11


@dataclass
class Chart:
    id: str
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    empty: bool = False


def attendance_by_month(months: list[tuple[str, int, int, int]]) -> Chart:
    """Stacked bars per month: present, absent, excused."""
    width, height, left, bottom, top = 640, 230, 36, 34, 16
    chart = Chart("chart-attendance", "Посещаемость по месяцам", width, height,
                  legend=[(GREEN, "присутствовали"), (RED, "отсутствовали"), (AMBER, "по уважительной причине")])
    peak = max((p + a + e for _, p, a, e in months), default=0)
    chart.empty = peak == 0
    scale = (height - bottom - top) / max(peak, 1)
    slot = (width - left - 8) / len(months)
    base = height - bottom
    chart.lines.append((left, base, width - 4, base))
    for i, (name, present, absent, excused) in enumerate(months):
        x = left + i * slot + slot * 0.2
        w = slot * 0.6
        y = base
        for value, colour, what in ((present, GREEN, "присутствовали"), (absent, RED, "отсутствовали"),
                                    (excused, AMBER, "по уважительной причине")):
            if value:
                h = value * scale
                y -= h
                chart.rects.append(Rect(round(x, 1), round(y, 1), round(w, 1), round(h, 1), colour,
                                        f"{name}: {what} — {value}"))
        total = present + absent + excused
        if total:
            chart.labels.append(Label(round(x + w / 2, 1), round(y - 3, 1), str(total), "middle", 10))
        chart.labels.append(Label(round(x + w / 2, 1), base + 14, name[:3], "middle", 10))
    chart.labels.append(Label(4, top, str(peak), "start", 10))
    return chart


def participation_by_school(rows) -> Chart:
    """Horizontal bars per school: sign-ups, and present within them."""
    row_h, left, width = 22, 170, 640
    height = max(row_h * len(rows) + 30, 60)
    chart = Chart("chart-participation", "Участие по школам", width, height,
                  legend=[(LIGHT_BLUE, "записи"), (BLUE, "присутствовали")])
    peak = max((max(r.signups, r.present) for r in rows), default=0)
    chart.empty = peak == 0
    scale = (width - left - 40) / max(peak, 1)
    for i, row in enumerate(rows):
        y = 8 + i * row_h
        name = row.org.short_name if row.org else ""
        chart.labels.append(Label(left - 6, y + 14, name, "end", 11))
        if row.signups:
            chart.rects.append(Rect(left, y + 2, round(row.signups * scale, 1), row_h - 6, LIGHT_BLUE,
                                    f"{name}: записи — {row.signups}"))
        if row.present:
            chart.rects.append(Rect(left, y + 7, round(row.present * scale, 1), row_h - 16, BLUE,
                                    f"{name}: присутствовали — {row.present}"))
        chart.labels.append(Label(left + max(row.signups, row.present) * scale + 4, y + 14,
                                  f"{row.signups} / {row.present}", "start", 10))
    return chart


def plan_vs_actual(outcomes: dict[str, int], targets: dict[str, int]) -> Chart:
    """Two 100% bars: the plan's events by outcome, the plan's visit targets by state."""
    width, left, bar_w = 640, 150, 460
    chart = Chart("chart-plan", "План и факт", width, 110, legend=[
        (GREEN, "проведено / выполнено"), (AMBER, "перенесено / запланировано"), (RED, "отменено / не выполнено"),
        (GREY, "не отмечено / не запланировано"), (LIGHT_BLUE, "ещё впереди"),
    ])
    series = [
        ("Мероприятия", [(outcomes.get("held", 0), GREEN, "проведено"), (outcomes.get("moved", 0), AMBER, "перенесено"),
                         (outcomes.get("cancelled", 0), RED, "отменено"),
                         (outcomes.get("overdue", 0), GREY, "не отмечено проведённым"),
                         (outcomes.get("planned", 0), LIGHT_BLUE, "запланировано")]),
        ("Посещения (цели)", [(targets.get("met", 0), GREEN, "выполнено"),
                              (targets.get("planned", 0), AMBER, "запланировано"),
                              (targets.get("missed", 0), RED, "не выполнено"),
                              (targets.get("none", 0), GREY, "не запланировано")]),
    ]
    chart.empty = not any(v for _, parts in series for v, _, _ in parts)
    for i, (name, parts) in enumerate(series):
        y = 10 + i * 40
        chart.labels.append(Label(left - 6, y + 18, name, "end", 11))
        total = sum(v for v, _, _ in parts)
        x = left
        for value, colour, what in parts:
            if not value:
                continue
            w = bar_w * value / total
            chart.rects.append(Rect(round(x, 1), y, round(w, 1), 26, colour, f"{name}: {what} — {value}"))
            if w > 18:
                chart.labels.append(Label(round(x + w / 2, 1), y + 18, str(value), "middle", 11))
            x += w
        chart.labels.append(Label(left + bar_w + 6, y + 18, f"всего {total}", "start", 10))
    return chart
