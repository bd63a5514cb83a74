//! Charts drawn on the server as SVG: no script and no library, scaled to
//! the screen by their `viewBox`, each bar with a `<title>` a pointer or a
//! screen reader can read, and the chart named by `aria-label`. The pages
//! put the same figures in a table beside every chart.

/// One bar: what it is, how long it is, and how its value is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 180;
const BOTTOM: i64 = 24;

/// Text for SVG markup.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Vertical bars, one per item (days), a label under every few.
pub fn columns(title: &str, bars: &[Bar]) -> String {
    let n = i64::try_from(bars.len()).unwrap_or(i64::MAX).max(1);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = WIDTH / n;
    let every = (n / 8).max(1);
    let plot = HEIGHT - BOTTOM;
    let mut svg = format!(
        r#"<svg class="bo-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" width="100%"><line x1="0" y1="{plot}" x2="{WIDTH}" y2="{plot}" class="axis"/>"#,
        escape(title)
    );
    for (i, bar) in (0..).zip(bars) {
        let height = bar.value.max(0) * (plot - 4) / max;
        let x = i * step + 1;
        svg += &format!(
            r#"<rect x="{x}" y="{}" width="{}" height="{height}"><title>{}: {}</title></rect>"#,
            plot - height,
            (step - 2).max(1),
            escape(&bar.label),
            escape(&bar.shown)
        );
        if i % every == 0 {
            svg += &format!(
                r#"<text x="{x}" y="{}" class="tick">{}</text>"#,
                HEIGHT - 6,
                escape(&bar.label)
            );
        }
    }
    svg + "</svg>"
}

/// Horizontal bars, one row each, the label above its bar and the value
/// at its end.
pub fn rows(title: &str, bars: &[Bar]) -> String {
    let row = 34;
    let height = (i64::try_from(bars.len()).unwrap_or(0) * row).max(row);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let mut svg = format!(
        r#"<svg class="bo-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" width="100%">"#,
        escape(title)
    );
    for (i, bar) in (0..).zip(bars) {
        let y = i * row;
        let length = (bar.value.max(0) * (WIDTH - 160) / max).max(1);
        svg += &format!(
            r#"<text x="0" y="{}" class="tick">{}</text><rect x="0" y="{}" width="{length}" height="14"><title>{}: {}</title></rect><text x="{}" y="{}" class="tick">{}</text>"#,
            y + 12,
            escape(&bar.label),
            y + 16,
            escape(&bar.label),
            escape(&bar.shown),
            length + 6,
            y + 28,
            escape(&bar.shown)
        );
    }
    svg + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64) -> Bar {
        Bar {
            label: label.into(),
            value,
            shown: value.to_string(),
        }
    }

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_escaped() {
        let svg = columns(
            "Платежи",
            &[bar("01.12", 10), bar("02.12", 5), bar("<b>", 0)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains(r#"height="152""#),
            "the largest fills the plot: {svg}"
        );
        assert!(svg.contains(r#"height="76""#), "half of it: {svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        let svg = rows("Агентства", &[bar("ГРС & Co", 3)]);
        assert!(svg.contains("ГРС &amp; Co"));
        assert_eq!(svg.matches("<rect").count(), 1);
    }

    #[test]
    fn an_empty_chart_is_still_a_chart() {
        assert!(columns("x", &[]).contains("<line"));
        assert!(rows("x", &[]).ends_with("</svg>"));
    }
}
