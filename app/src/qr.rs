//! QR codes of verification addresses, drawn as vector squares: as SVG
//! path data on the receipt page (no image request, crisp in print) and as
//! the module grid the PDF draws.

use qrcode::{EcLevel, QrCode};

/// The code's modules, row by row (true = dark), without the quiet zone.
/// Medium error correction: a crease or a stain on paper still scans.
pub fn modules(text: &str) -> Vec<Vec<bool>> {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        // Only text far longer than an address fails to fit.
        return Vec::new();
    };
    let width = code.width();
    let colors = code.to_colors();
    colors
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect()
}

/// SVG path data of the dark modules, one unit each, offset by a quiet zone
/// of `margin` units; runs along a row are drawn as one rectangle.
pub fn svg_path(modules: &[Vec<bool>], margin: usize) -> String {
    let mut path = String::new();
    for (y, row) in modules.iter().enumerate() {
        let mut x = 0;
        while x < row.len() {
            if !row[x] {
                x += 1;
                continue;
            }
            let run = row[x..].iter().take_while(|dark| **dark).count();
            path.push_str(&format!("M{} {}h{run}v1h-{run}z", x + margin, y + margin));
            x += run;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_makes_a_square_code_with_finder_patterns() {
        let grid = modules("http://127.0.0.1:3000/verify/00000123-7KQ4M-X9D20");
        let width = grid.len();
        assert!(width >= 21 && (width - 17).is_multiple_of(4), "{width}");
        assert!(grid.iter().all(|row| row.len() == width));
        // The top-left finder pattern: a dark 7x7 ring.
        assert!(grid[0][..7].iter().all(|d| *d));
        assert!(grid[6][..7].iter().all(|d| *d));
        assert!(!grid[1][1]);
        assert!(grid[3][3]);
    }

    #[test]
    fn the_path_draws_each_run_once() {
        let grid = vec![
            vec![true, true, false, true],
            vec![false, false, false, false],
        ];
        assert_eq!(svg_path(&grid, 4), "M4 4h2v1h-2zM7 4h1v1h-1z");
        assert_eq!(svg_path(&[], 4), "");
    }
}
