//! Horizontal bar charts as inline SVG (built with the `svg` crate): one bar per category with
//! its value written beside it, so the chart reads without colour; hidden cells drawn as a
//! hatched stub marked "..", and in DP mode the 95% interval drawn as a whisker.

use svg::Document;
use svg::node::element::{Definitions, Line, Path as SvgPath, Pattern, Rectangle, Text, Title};

pub struct Bar {
    pub label: String,
    /// None: hidden.
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
}

const ROW: f64 = 22.0;
const LABEL_W: f64 = 260.0;
const PLOT_W: f64 = 380.0;

pub fn bars(title: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .flat_map(|b| [b.value.unwrap_or(0.0), b.interval.map_or(0.0, |i| i.1)])
        .fold(1.0f64, f64::max);
    let x = |v: f64| LABEL_W + PLOT_W * v / max;
    let h = ROW * bars.len() as f64 + 10.0;
    let hatch = Pattern::new()
        .set("id", "hatch")
        .set("width", 6)
        .set("height", 6)
        .set("patternUnits", "userSpaceOnUse")
        .add(
            SvgPath::new()
                .set("d", "M0,6 L6,0")
                .set("stroke", "#555")
                .set("stroke-width", 1),
        );
    let mut doc = Document::new()
        .set("viewBox", (0, 0, LABEL_W + PLOT_W + 90.0, h))
        .set("width", LABEL_W + PLOT_W + 90.0)
        .set("height", h)
        .set("role", "img")
        .set("aria-label", title)
        .add(Title::new(title))
        .add(Definitions::new().add(hatch));
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + ROW * i as f64;
        doc = doc.add(
            Text::new(truncate(&b.label, 42))
                .set("x", LABEL_W - 6.0)
                .set("y", y + 15.0)
                .set("text-anchor", "end")
                .set("font-size", 12),
        );
        match b.value {
            Some(v) => {
                doc = doc.add(
                    Rectangle::new()
                        .set("x", LABEL_W)
                        .set("y", y + 3.0)
                        .set("width", (x(v) - LABEL_W).max(0.5))
                        .set("height", ROW - 6.0)
                        .set("fill", "#3b6ea5"),
                );
                let mut end = x(v);
                if let Some((lo, hi)) = b.interval {
                    let mid = y + ROW / 2.0;
                    doc = doc
                        .add(line(x(lo), mid, x(hi), mid))
                        .add(line(x(lo), mid - 5.0, x(lo), mid + 5.0))
                        .add(line(x(hi), mid - 5.0, x(hi), mid + 5.0));
                    end = end.max(x(hi));
                }
                doc = doc.add(
                    Text::new(format_value(v))
                        .set("x", end + 4.0)
                        .set("y", y + 15.0)
                        .set("font-size", 12),
                );
            }
            None => {
                doc = doc
                    .add(
                        Rectangle::new()
                            .set("x", LABEL_W)
                            .set("y", y + 3.0)
                            .set("width", 18)
                            .set("height", ROW - 6.0)
                            .set("fill", "url(#hatch)")
                            .set("stroke", "#555"),
                    )
                    .add(
                        Text::new("..")
                            .set("x", LABEL_W + 24.0)
                            .set("y", y + 15.0)
                            .set("font-size", 12),
                    );
            }
        }
    }
    doc.to_string()
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64) -> Line {
    Line::new()
        .set("x1", x1)
        .set("y1", y1)
        .set("x2", x2)
        .set("y2", y2)
        .set("stroke", "#111")
        .set("stroke-width", 1.5)
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
