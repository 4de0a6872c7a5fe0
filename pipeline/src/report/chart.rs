//! Horizontal bar charts as inline SVG (built with the `svg` crate): one bar per category with
//! its value written beside it, so the chart reads without colour; hidden cells drawn as a
//! hatched stub marked "..", and in DP mode the 95% interval drawn as a whisker.

use svg::Document;
use svg::node::element::{Definitions, Line, Path as SvgPath, Pattern, Rectangle, Text, Title};

pub struct Bar {
    /// The category in Swedish and in English (the page shows one language at a time), each
    /// a dimension's label per part.
    pub label: [Vec<String>; 2],
    /// None: hidden.
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
}

const ROW: f64 = 22.0;
const LABEL_W: f64 = 260.0;
const PLOT_W: f64 = 380.0;

/// Characters a bar's label may take beside the plot.
const LABEL_CHARS: usize = 42;

/// A chart titled `title` (Swedish, English); `id` makes its hatch pattern's id its own, as
/// every chart is in one page.
pub fn bars(id: &str, title: [&str; 2], bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .flat_map(|b| [b.value.unwrap_or(0.0), b.interval.map_or(0.0, |i| i.1)])
        .fold(1.0f64, f64::max);
    let x = |v: f64| LABEL_W + PLOT_W * v / max;
    let h = ROW * bars.len() as f64 + 10.0;
    let hatch_id = format!("hatch-{id}");
    let hatch = Pattern::new()
        .set("id", hatch_id.as_str())
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
        .set("aria-label", format!("{} / {}", title[0], title[1]))
        .add(Title::new(format!("{} / {}", title[0], title[1])))
        .add(Definitions::new().add(hatch));
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + ROW * i as f64;
        for (lang, parts) in ["sv", "en"].into_iter().zip(&b.label) {
            doc = doc.add(
                Text::new(fit_label(parts, LABEL_CHARS))
                    .set("class", lang)
                    .set("x", LABEL_W - 6.0)
                    .set("y", y + 15.0)
                    .set("text-anchor", "end")
                    .set("font-size", 12),
            );
        }
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
                            .set("fill", format!("url(#{hatch_id})"))
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

/// A label of several parts ("Potentiellt direkt utsatt · Sexuell exploatering · Ja") cut to
/// `n` characters part by part, so that every part keeps its start: cut as one, the bars of
/// T11 shared a label that had lost its last, distinguishing part.
fn fit_label(parts: &[String], n: usize) -> String {
    const SEP: &str = " · ";
    let whole = parts.join(SEP);
    if whole.chars().count() <= n || parts.len() < 2 {
        return truncate(&whole, n);
    }
    let room = n.saturating_sub(SEP.chars().count() * (parts.len() - 1));
    // Short parts keep all of theirs; the rest share what is left.
    let mut lens: Vec<usize> = parts.iter().map(|p| p.chars().count()).collect();
    let mut cap = room / parts.len();
    // Each round makes at least one more part short, or ends.
    for _ in 0..=parts.len() {
        let short: usize = lens.iter().filter(|&&l| l <= cap).sum();
        let long = lens.iter().filter(|&&l| l > cap).count();
        let next = room
            .saturating_sub(short)
            .checked_div(long)
            .map_or(cap, |c| c.max(4));
        if next == cap {
            break;
        }
        cap = next;
    }
    for l in &mut lens {
        *l = (*l).min(cap);
    }
    parts
        .iter()
        .zip(&lens)
        .map(|(p, &l)| truncate(p, l.max(2)))
        .collect::<Vec<_>>()
        .join(SEP)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// T11's labels of three parts, cut as one, read alike for yes, no and unknown.
    #[test]
    fn a_label_of_several_parts_keeps_the_start_of_each() {
        let parts = |last: &str| {
            ["Potentiellt direkt utsatt", "Sexuell exploatering", last]
                .map(String::from)
                .to_vec()
        };
        let labels: Vec<String> = ["Ja", "Nej", "Vet ej", "Uppgift saknas"]
            .iter()
            .map(|l| fit_label(&parts(l), LABEL_CHARS))
            .collect();
        for l in &labels {
            assert!(l.chars().count() <= LABEL_CHARS, "{l}");
        }
        let distinct: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert_eq!(distinct.len(), labels.len(), "{labels:?}");
        assert!(labels[0].ends_with(" · Ja"), "{}", labels[0]);
        assert_eq!(fit_label(&["Kvinna".to_string()], LABEL_CHARS), "Kvinna");
    }
}
