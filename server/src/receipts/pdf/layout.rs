//! Where everything goes: the receipt's blocks placed top to bottom on A4
//! pages as lines of text, rectangles, the QR code and link areas. A usual
//! receipt fills one page; a row too long for what is left of a page moves
//! to the next one, and one longer than a page flows on line by line.
//! Coordinates are points from the page's top left corner; a text's `y` is
//! its baseline.

use super::ReceiptDocument;
use super::text::{Fonts, Weight};

/// A4 portrait, in points.
pub(super) const PAGE_W: f32 = 595.28;
pub(super) const PAGE_H: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
const LEFT: f32 = 20.0 * MM;
const WIDTH: f32 = PAGE_W - 2.0 * LEFT;
const TOP: f32 = 18.0 * MM;
const BOTTOM: f32 = PAGE_H - 18.0 * MM;
/// The label column of the table; the values take the rest.
const LABEL_W: f32 = 0.34 * WIDTH;
const VALUE_X: f32 = LEFT + LABEL_W + 12.0;
const VALUE_W: f32 = LEFT + WIDTH - VALUE_X;
/// The QR code's side without its quiet zone.
const QR_SIDE: f32 = 35.0 * MM;

pub(super) type Rgb = (u8, u8, u8);
const INK: Rgb = (0x1b, 0x1f, 0x24);
const MUTED: Rgb = (0x5a, 0x63, 0x6e);
const RULE: Rgb = (0xd3, 0xd8, 0xdf);
const ACCENT: Rgb = (0x1f, 0x3a, 0x5f);
const LINK: Rgb = (0x1d, 0x4e, 0x89);
const WARN_BG: Rgb = (0xfd, 0xec, 0xea);
const WARN_BAR: Rgb = (0xb4, 0x23, 0x18);
const WARN_INK: Rgb = (0x8a, 0x1c, 0x14);
pub(super) const QR_INK: Rgb = (0, 0, 0);

/// A text style: weight, size and height of a line (points), and colour.
#[derive(Clone, Copy)]
struct Style(Weight, f32, f32, Rgb);

const OPERATOR: Style = Style(Weight::Bold, 13.0, 18.0, INK);
const DETAIL: Style = Style(Weight::Regular, 9.0, 12.5, MUTED);
const TITLE: Style = Style(Weight::Bold, 19.0, 25.0, INK);
const BANNER: Style = Style(Weight::Bold, 11.0, 15.0, WARN_INK);
const LABEL: Style = Style(Weight::Regular, 9.5, 15.0, MUTED);
const VALUE: Style = Style(Weight::Regular, 10.5, 15.0, INK);
const HEADING: Style = Style(Weight::Bold, 11.5, 18.0, INK);
const LINE: Style = Style(Weight::Regular, 10.0, 14.5, INK);
const CAPTION: Style = Style(Weight::Regular, 10.0, 14.0, INK);
const CODE: Style = Style(Weight::Bold, 22.0, 30.0, INK);
const ADDRESS: Style = Style(Weight::Regular, 9.5, 13.5, LINK);
const FOOTER: Style = Style(Weight::Regular, 8.0, 10.0, MUTED);

/// One thing drawn on a page.
pub(super) enum Item {
    Text {
        x: f32,
        y: f32,
        weight: Weight,
        size: f32,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// The document's QR code, its top left dark-module corner at (x, y).
    Qr { x: f32, y: f32, module: f32 },
    /// An area that opens `url` in a PDF reader.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        url: String,
    },
}

struct Layout<'f> {
    fonts: &'f Fonts,
    done: Vec<Vec<Item>>,
    page: Vec<Item>,
    /// The top of what comes next on `page`.
    y: f32,
}

/// The receipt's pages, each a list of what to draw on it.
pub(super) fn lay_out(doc: &ReceiptDocument, fonts: &Fonts) -> Vec<Vec<Item>> {
    let mut l = Layout {
        fonts,
        done: Vec::new(),
        page: Vec::new(),
        y: TOP,
    };
    l.operator(&doc.operator);
    l.paragraph(&doc.title, LEFT, WIDTH, TITLE);
    l.y += 8.0;
    if let Some(banner) = &doc.test_banner {
        l.banner(banner);
    }
    l.rows(&doc.rows);
    for (heading, lines) in [&doc.accepted, &doc.refunds] {
        l.section(heading, lines);
    }
    l.verification(doc);
    let mut pages = l.done;
    pages.push(l.page);
    let count = pages.len();
    if count > 1 {
        for (i, page) in pages.iter_mut().enumerate() {
            let text = format!("{} / {count}", i + 1);
            let x = LEFT + WIDTH - fonts.face(FOOTER.0).width(&text, FOOTER.1);
            page.push(text_item(x, BOTTOM + 8.0 * MM, FOOTER, text));
        }
    }
    pages
}

fn text_item(x: f32, baseline: f32, style: Style, text: String) -> Item {
    let Style(weight, size, _, color) = style;
    Item::Text {
        x,
        y: baseline,
        weight,
        size,
        color,
        text,
    }
}

/// Where the baseline of a line of `style` sits below the line's top: the
/// capitals centred in the line's height.
fn baseline(style: Style) -> f32 {
    (style.2 + 0.71 * style.1) / 2.0
}

impl Layout<'_> {
    /// Moves to a new page unless `height` fits on this one (or this one is empty).
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && !self.page.is_empty() {
            self.done.push(std::mem::take(&mut self.page));
            self.y = TOP;
        }
    }

    fn wrap(&self, text: &str, width: f32, style: Style) -> Vec<String> {
        self.fonts.face(style.0).wrap(text, style.1, width)
    }

    fn rule(&mut self, height: f32, color: Rgb) {
        self.page.push(Item::Rect {
            x: LEFT,
            y: self.y,
            w: WIDTH,
            h: height,
            color,
        });
    }

    /// `text` wrapped to `width` from `x`, line after line, each where it fits.
    fn paragraph(&mut self, text: &str, x: f32, width: f32, style: Style) {
        for line in self.wrap(text, width, style) {
            self.room(style.2);
            self.page
                .push(text_item(x, self.y + baseline(style), style, line));
            self.y += style.2;
        }
    }

    fn operator(&mut self, operator: &[String]) {
        let Some((name, details)) = operator.split_first() else {
            return;
        };
        self.paragraph(name, LEFT, WIDTH, OPERATOR);
        for detail in details {
            self.paragraph(detail, LEFT, WIDTH, DETAIL);
        }
        self.y += 8.0;
        self.rule(1.5, ACCENT);
        self.y += 18.0;
    }

    /// The test-mode warning: a tinted box with a bar at its left edge.
    fn banner(&mut self, banner: &str) {
        let (pad, bar) = (8.0, 4.0);
        let lines = self.wrap(banner, WIDTH - 2.0 * pad - bar, BANNER);
        let height = lines.len() as f32 * BANNER.2 + 2.0 * pad;
        self.room(height);
        let y = self.y;
        self.page.push(Item::Rect {
            x: LEFT,
            y,
            w: WIDTH,
            h: height,
            color: WARN_BG,
        });
        self.page.push(Item::Rect {
            x: LEFT,
            y,
            w: bar,
            h: height,
            color: WARN_BAR,
        });
        for (i, line) in lines.into_iter().enumerate() {
            let top = y + pad + i as f32 * BANNER.2;
            self.page.push(text_item(
                LEFT + bar + pad,
                top + baseline(BANNER),
                BANNER,
                line,
            ));
        }
        self.y += height + 14.0;
    }

    /// The table: a label and its value a row, the labels muted, a hairline
    /// under every row. Both columns share one line height, so the first
    /// lines of a label and its value stand on one baseline.
    fn rows(&mut self, rows: &[(String, String)]) {
        let (pad, step) = (4.5, VALUE.2);
        if rows.is_empty() {
            return;
        }
        self.room(2.0 * step);
        self.rule(0.75, RULE);
        for (label, value) in rows {
            let labels = self.wrap(label, LABEL_W, LABEL);
            let values = self.wrap(value, VALUE_W, VALUE);
            let count = labels.len().max(values.len()).max(1);
            self.room((count as f32 * step + 2.0 * pad).min(BOTTOM - TOP));
            self.y += pad;
            let mut labels = labels.into_iter();
            let mut values = values.into_iter();
            for _ in 0..count {
                self.room(step);
                let base = self.y + baseline(VALUE);
                if let Some(label) = labels.next() {
                    self.page.push(text_item(LEFT, base, LABEL, label));
                }
                if let Some(value) = values.next() {
                    self.page.push(text_item(VALUE_X, base, VALUE, value));
                }
                self.y += step;
            }
            self.y += pad;
            self.rule(0.5, RULE);
        }
    }

    /// A heading and its lines, each line with a square bullet; nothing
    /// without lines.
    fn section(&mut self, heading: &str, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        self.y += 14.0;
        self.room(HEADING.2 + LINE.2);
        self.paragraph(heading, LEFT, WIDTH, HEADING);
        let indent = 12.0;
        for line in lines {
            for (i, part) in self
                .wrap(line, WIDTH - indent, LINE)
                .into_iter()
                .enumerate()
            {
                self.room(LINE.2);
                let base = self.y + baseline(LINE);
                if i == 0 {
                    let side = 3.2;
                    let y = base - 0.36 * LINE.1 - side / 2.0;
                    self.page.push(Item::Rect {
                        x: LEFT + 1.5,
                        y,
                        w: side,
                        h: side,
                        color: MUTED,
                    });
                }
                self.page.push(text_item(LEFT + indent, base, LINE, part));
                self.y += LINE.2;
            }
        }
    }

    /// The QR code (35 mm, a quiet zone of four modules kept clear above
    /// and below; the page margin keeps it at the side) and beside it the
    /// caption, the code in large letters and the address, a link.
    fn verification(&mut self, doc: &ReceiptDocument) {
        let modules = doc
            .qr
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(doc.qr.len());
        let (module, side) = match modules {
            0 => (0.0, 0.0),
            n => (QR_SIDE / n as f32, QR_SIDE),
        };
        let quiet = 4.0 * module;
        let x = if side > 0.0 { LEFT + side + 20.0 } else { LEFT };
        let width = LEFT + WIDTH - x;
        let caption = self.wrap(&doc.verify_caption, width, CAPTION);
        let code = self.wrap(&doc.verify_code, width, CODE);
        let url = self.wrap(&doc.verify_url, width, ADDRESS);
        let text_h = caption.len() as f32 * CAPTION.2
            + code.len() as f32 * CODE.2
            + url.len() as f32 * ADDRESS.2
            + 6.0;
        self.y += 18.0;
        self.room((side.max(text_h) + 2.0 * quiet).min(BOTTOM - TOP));
        self.y += quiet;
        let top = self.y;
        let pages = self.done.len();
        if side > 0.0 {
            self.page.push(Item::Qr {
                x: LEFT,
                y: top,
                module,
            });
            if !doc.verify_url.is_empty() {
                let url = doc.verify_url.clone();
                self.page.push(Item::Link {
                    x: LEFT,
                    y: top,
                    w: side,
                    h: side,
                    url,
                });
            }
        }
        let link = !doc.verify_url.is_empty();
        let blocks = [
            (caption, CAPTION, 6.0, false),
            (code, CODE, 0.0, false),
            (url, ADDRESS, 0.0, link),
        ];
        for (lines, style, gap, link) in blocks {
            for line in lines {
                self.room(style.2);
                let face = self.fonts.face(style.0);
                if link {
                    let w = face.width(&line, style.1);
                    let url = doc.verify_url.clone();
                    self.page.push(Item::Link {
                        x,
                        y: self.y,
                        w,
                        h: style.2,
                        url,
                    });
                }
                self.page
                    .push(text_item(x, self.y + baseline(style), style, line));
                self.y += style.2;
            }
            self.y += gap;
        }
        if self.done.len() == pages {
            self.y = self.y.max(top + side + quiet);
        }
    }
}
