//! The receipt's fonts and text measuring: Noto Sans Regular and Bold (a
//! pre-subset of Latin, Cyrillic with the Kyrgyz letters and punctuation,
//! `assets/fonts/`), parsed once per process. rustybuzz shapes a line once
//! for its width and once more for the glyphs krilla draws, so what was
//! measured is what is printed (kerning included).

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, GlyphBuffer, UnicodeBuffer};
use std::sync::LazyLock;

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf");

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Face::load(REGULAR)?,
        bold: Face::load(BOLD)?,
    })
});

/// The fonts, or `None` when the embedded files cannot be read (a broken build).
pub(super) fn fonts() -> Option<&'static Fonts> {
    FONTS.as_ref()
}

/// A weight of the receipt's typeface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

pub(super) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub(super) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// One font: krilla's handle (which embeds and subsets it) and rustybuzz's
/// face over the same bytes.
pub(super) struct Face {
    pub(super) pdf: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Face> {
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let units_per_em = f32::from(u16::try_from(shaper.units_per_em()).ok()?);
        Some(Face {
            pdf: Font::new(data.into(), 0)?,
            shaper,
            units_per_em,
        })
    }

    fn shape(&self, text: &str) -> GlyphBuffer {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(Direction::LeftToRight);
        buffer.guess_segment_properties();
        rustybuzz::shape(&self.shaper, &[], buffer)
    }

    /// Whether the font has a glyph for `c`.
    #[cfg(test)]
    pub(super) fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// The glyphs that draw `text` on one line, each with the bytes of
    /// `text` it stands for (what a PDF reader copies back).
    pub(super) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        let shaped = self.shape(text);
        let infos = shaped.glyph_infos();
        let em = self.units_per_em;
        infos
            .iter()
            .zip(shaped.glyph_positions())
            .enumerate()
            .map(|(i, (info, pos))| {
                let start = info.cluster as usize;
                let end = infos[i + 1..]
                    .iter()
                    .map(|next| next.cluster as usize)
                    .find(|&c| c != start)
                    .unwrap_or(text.len());
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / em,
                    pos.x_offset as f32 / em,
                    pos.y_offset as f32 / em,
                    pos.y_advance as f32 / em,
                    start..end,
                    None,
                )
            })
            .collect()
    }

    /// The width of `text` on one line at `size` points, in points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let shaped = self.shape(text);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 / self.units_per_em * size
    }

    /// `text` in lines no wider than `max` points at `size`: a line breaks at
    /// spaces (never at a no-break space, as in an amount), inside a word only
    /// when the word alone is wider than a line (a long address), and where
    /// the text has a line break. Empty text has no line.
    pub(super) fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let space = self.width(" ", size);
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let words: Vec<&str> = paragraph
                .split([' ', '\t'])
                .filter(|w| !w.is_empty())
                .collect();
            let whole = words.join(" ");
            if self.width(&whole, size) <= max {
                if !whole.is_empty() {
                    lines.push(whole);
                }
                continue;
            }
            let mut line = String::new();
            let mut width = 0.0;
            for word in words {
                let w = self.width(word, size);
                if !line.is_empty() && width + space + w <= max {
                    line.push(' ');
                    line.push_str(word);
                    width += space + w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if w <= max {
                    line.push_str(word);
                    width = w;
                } else {
                    let mut pieces = self.cut(word, size, max);
                    let last = pieces.pop().unwrap_or_default();
                    lines.extend(pieces.into_iter().map(str::to_string));
                    line.push_str(last);
                    width = self.width(last, size);
                }
            }
            if !line.is_empty() {
                lines.push(line);
            }
        }
        lines
    }

    /// `word` cut at glyph boundaries into pieces no wider than `max`
    /// (at least one glyph a piece, however narrow the column).
    fn cut<'a>(&self, word: &'a str, size: f32, max: f32) -> Vec<&'a str> {
        let shaped = self.shape(word);
        let scale = size / self.units_per_em;
        let mut pieces = Vec::new();
        let (mut start, mut width) = (0, 0.0);
        for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
            let at = info.cluster as usize;
            let advance = pos.x_advance as f32 * scale;
            if width + advance > max && at > start && word.is_char_boundary(at) {
                pieces.push(&word[start..at]);
                (start, width) = (at, 0.0);
            }
            width += advance;
        }
        pieces.push(&word[start..]);
        pieces
    }
}
