//! The receipt as a PDF a citizen downloads and a clerk can trust: A4
//! portrait, the operator at the top, the title, a table of the payment's
//! facts, the accepted documents and refunds, and the verification QR code
//! with its code and address. The text is real text in Noto Sans, embedded
//! and subset by krilla (about 20 KB a receipt), so it can be selected,
//! searched and copied back (Kyrgyz ң ө ү and Russian alike), and the QR code
//! is vector squares, sharp at any zoom. No browser: laying out and writing a
//! receipt takes a few milliseconds. The caller translates every string;
//! this module only places them (`pdf/layout.rs`) and measures them with the
//! font (`pdf/text.rs`).

mod layout;
#[cfg(test)]
mod tests;
mod text;

use krilla::Document;
use krilla::action::LinkAction;
use krilla::annotation::{LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::error::KrillaError;
use krilla::geom::{Path, PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use layout::{Item, PAGE_H, PAGE_W, QR_INK, Rgb};
use text::Fonts;

/// A receipt as the PDF prints it: every string already in the citizen's language.
pub struct ReceiptDocument {
    /// "ru", "ky" or "en": the PDF's language (document catalog /Lang) and metadata.
    pub language: &'static str,
    /// E.g. "Квитанция об оплате"; also the PDF's metadata title.
    pub title: String,
    /// The operator's name first (printed bold, at the top), then its details, one per line.
    pub operator: Vec<String>,
    /// A banner when no real money was taken (test mode), printed prominently.
    pub test_banner: Option<String>,
    /// Label and value, one row each (receipt number, paid at, service, payment code,
    /// applicant, amount, amount in words, card, cardholder, reference, status). Values may
    /// be long (amount in words): wrap them within the value column.
    pub rows: Vec<(String, String)>,
    /// A heading and lines (accepted document editions); omitted when lines are empty.
    pub accepted: (String, Vec<String>),
    /// A heading and lines (refunds); omitted when lines are empty.
    pub refunds: (String, Vec<String>),
    /// The QR code's modules, row by row (true = dark), without quiet zone.
    pub qr: Vec<Vec<bool>>,
    /// Printed beside the QR code: how to check the receipt (a sentence or two),
    pub verify_caption: String,
    /// the short code a clerk can type by hand (print it large, monospace not required),
    pub verify_code: String,
    /// and the verification page's address.
    pub verify_url: String,
}

/// Why no PDF came out. The messages name no part of the receipt.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The fonts built into the server cannot be read: a broken build.
    #[error("the receipt's fonts cannot be read")]
    Fonts,
    /// The PDF writer refused the document.
    #[error("the PDF cannot be written: {0}")]
    Write(&'static str),
}

/// Renders the receipt as PDF bytes. The fonts are parsed once per process;
/// the same document gives the same bytes.
pub fn render(doc: &ReceiptDocument) -> Result<Vec<u8>, PdfError> {
    let fonts = text::fonts().ok_or(PdfError::Fonts)?;
    let pages = layout::lay_out(doc, fonts);
    let mut pdf = Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(doc.language.to_string())
            .creator("tolem".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Write("page size"))?;
    for items in pages {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut links = Vec::new();
        for item in items {
            match item {
                Item::Link { x, y, w, h, url } => {
                    links.extend(Rect::from_xywh(x, y, w, h).map(|r| (r, url)))
                }
                item => draw(&mut surface, fonts, &doc.qr, item),
            }
        }
        surface.finish();
        for (rect, url) in links {
            let target = Target::Action(LinkAction::new(url).into());
            page.add_annotation(LinkAnnotation::new(rect, target).into());
        }
        page.finish();
    }
    pdf.finish().map_err(|e| {
        PdfError::Write(match e {
            KrillaError::Font(..) => "a font cannot be embedded",
            KrillaError::Limit(_) => "a limit of the PDF format is exceeded",
            _ => "the writer refused the document",
        })
    })
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        ..Fill::default()
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, qr: &[Vec<bool>], item: Item) {
    match item {
        Item::Text {
            x,
            y,
            weight,
            size,
            color,
            text,
        } => {
            let face = fonts.face(weight);
            surface.set_fill(Some(fill(color)));
            let glyphs = face.glyphs(&text);
            surface.draw_glyphs(
                Point::from_xy(x, y),
                &glyphs,
                face.pdf.clone(),
                &text,
                size,
                false,
            );
        }
        Item::Rect { x, y, w, h, color } => {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                surface.set_fill(Some(fill(color)));
                surface.draw_path(&path);
            }
        }
        Item::Qr { x, y, module } => {
            if let Some(path) = qr_path(qr) {
                surface.push_transform(&Transform::from_row(module, 0.0, 0.0, module, x, y));
                surface.set_fill(Some(fill(QR_INK)));
                surface.draw_path(&path);
                surface.pop();
            }
        }
        Item::Link { .. } => {}
    }
}

/// The dark modules as one path in module units (short integers in the
/// content stream), each horizontal run of dark modules one rectangle: about
/// half as many rectangles as dark modules, and no hairline seams between
/// neighbours where a reader anti-aliases.
fn qr_path(qr: &[Vec<bool>]) -> Option<Path> {
    let mut path = PathBuilder::new();
    for (row, modules) in qr.iter().enumerate() {
        let mut column = 0;
        while column < modules.len() {
            if !modules[column] {
                column += 1;
                continue;
            }
            let start = column;
            while column < modules.len() && modules[column] {
                column += 1;
            }
            let run = (column - start) as f32;
            if let Some(rect) = Rect::from_xywh(start as f32, row as f32, run, 1.0) {
                path.push_rect(rect);
            }
        }
    }
    path.finish()
}
