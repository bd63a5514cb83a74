use super::text::{Weight, fonts};
use super::*;

fn qr_of(text: &str) -> Vec<Vec<bool>> {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("a QR code");
    let width = code.width();
    code.to_colors()
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect()
}

fn row(label: &str, value: &str) -> (String, String) {
    (label.to_string(), value.to_string())
}

/// A receipt as the Kyrgyz page shows it.
fn kyrgyz() -> ReceiptDocument {
    let url = "https://tolem.example.kg/verify/K7Q4-MZP2-X9TB";
    ReceiptDocument {
        language: "ky",
        title: "Төлөм квитанциясы".to_string(),
        operator: vec![
            "«Төлөм» мамлекеттик төлөм кызматы".to_string(),
            "Сайт: https://tolem.example.kg".to_string(),
            "Колдоо: help@tolem.example.kg, +996 312 00 00 00".to_string(),
        ],
        test_banner: Some(
            "Сыноо режими: бул төлөмдө чыныгы акча алынган жок, квитанция жараксыз.".to_string(),
        ),
        rows: vec![
            row("Квитанциянын номери", "№ 000123"),
            row("Төлөнгөн убакыт", "12.03.2025 14:32 (UTC+6)"),
            row(
                "Кызмат",
                "Кыргыз Республикасынын жарандык паспорту (ID-карта)",
            ),
            row("Төлөм коду", "11 2345 6789"),
            row("Арыз берүүчү", "Үсөнбаева А. Ө."),
            row("Сумма", "1\u{a0}250,00 сом"),
            row(
                "Сумма жазуу менен",
                "бир миң эки жүз элүү сом нөл тыйын (бир миң эки жүз элүү сом)",
            ),
            row("Карта", "Элкарт 417000******4321"),
            row("Карта ээси", "AIGUL USONBAEVA"),
            row("Шилтеме", "8f3a1c22-77d0-4b7e-9f1a-2c4e5d6a7b8c"),
            row("Абалы", "Төлөндү"),
        ],
        accepted: (
            "Кабыл алынган документтер".to_string(),
            vec![
                "Колдонуучу келишими, 15.01.2025 редакциясы".to_string(),
                "Купуялык саясаты, 01.11.2024 редакциясы".to_string(),
            ],
        ),
        refunds: ("Кайтарылган төлөмдөр".to_string(), Vec::new()),
        qr: qr_of(url),
        verify_caption: "Квитанцияны текшерүү үчүн QR кодду сканерлеңиз же төмөнкү кодду \
                         https://tolem.example.kg/verify дарегине киргизиңиз."
            .to_string(),
        verify_code: "K7Q4-MZP2-X9TB".to_string(),
        verify_url: url.to_string(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn page_count(pdf: &[u8]) -> usize {
    pdf.windows(10).filter(|w| w == b"/Type/Page").count()
        - pdf.windows(11).filter(|w| w == b"/Type/Pages").count()
}

/// The 6-letter subset tag krilla puts before a subset font's name.
fn is_subset(pdf: &[u8], name: &[u8]) -> bool {
    let mut needle = b"+".to_vec();
    needle.extend_from_slice(name);
    pdf.windows(needle.len()).enumerate().any(|(i, w)| {
        w == needle.as_slice()
            && i >= 7
            && pdf[i - 7] == b'/'
            && pdf[i - 6..i].iter().all(u8::is_ascii_uppercase)
    })
}

#[test]
fn a_kyrgyz_receipt_is_one_small_page_with_subset_fonts_and_its_language() {
    let pdf = render(&kyrgyz()).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < 60 * 1024, "{} bytes", pdf.len());
    assert_eq!(page_count(&pdf), 1);
    assert!(
        is_subset(&pdf, b"NotoSans-Regular"),
        "the regular font is not a subset"
    );
    assert!(
        is_subset(&pdf, b"NotoSans-Bold"),
        "the bold font is not a subset"
    );
    assert!(contains(&pdf, b"/Lang(ky)"));
    assert!(
        contains(&pdf, "Төлөм квитанциясы".as_bytes()),
        "the title in the metadata"
    );
    assert!(contains(&pdf, b"tolem"), "the creator");
    assert!(contains(
        &pdf,
        b"/URI(https://tolem.example.kg/verify/K7Q4-MZP2-X9TB)"
    ));
}

#[test]
fn the_same_receipt_gives_the_same_bytes() {
    assert_eq!(render(&kyrgyz()).ok(), render(&kyrgyz()).ok());
}

#[test]
fn an_empty_receipt_still_renders() {
    let doc = ReceiptDocument {
        language: "en",
        title: String::new(),
        operator: Vec::new(),
        test_banner: None,
        rows: Vec::new(),
        accepted: (String::new(), Vec::new()),
        refunds: (String::new(), Vec::new()),
        qr: Vec::new(),
        verify_caption: String::new(),
        verify_code: String::new(),
        verify_url: String::new(),
    };
    let pdf = render(&doc).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(page_count(&pdf), 1);
}

#[test]
fn very_long_values_flow_onto_more_pages() {
    let mut doc = kyrgyz();
    let words = "бир миң эки жүз элүү сом нөл тыйын ".repeat(300);
    let unbroken = "Ө".repeat(700);
    doc.rows.push(row("Сумма жазуу менен", &words));
    doc.rows.push(row(&unbroken, &unbroken));
    doc.refunds.1 = vec![words.clone(), unbroken.clone()];
    doc.verify_url = format!("https://tolem.example.kg/verify/{unbroken}");
    doc.verify_code = unbroken;
    doc.qr = vec![vec![true; 3], vec![false, true], Vec::new()];
    let pdf = render(&doc).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(page_count(&pdf) > 2, "{} pages", page_count(&pdf));
}

#[test]
fn the_fonts_have_every_russian_and_kyrgyz_letter() {
    let fonts = fonts().expect("the fonts");
    let letters = ('А'..='я').chain("ЁёҢңӨөҮү№«»—–…\u{a0}\u{202f}".chars());
    for weight in [Weight::Regular, Weight::Bold] {
        let missing: String = letters
            .clone()
            .filter(|&c| !fonts.face(weight).covers(c))
            .collect();
        assert!(missing.is_empty(), "{weight:?} lacks {missing}");
    }
}

#[test]
fn lines_wrap_within_their_width_at_spaces_only() {
    let face = fonts().expect("the fonts").face(Weight::Regular);
    let text = "бир миң эки жүз элүү сом 1\u{a0}250,00 нөл тыйын ".repeat(5);
    let lines = face.wrap(&text, 10.5, 200.0);
    assert!(lines.len() > 2);
    for line in &lines {
        assert!(face.width(line, 10.5) <= 200.0, "{line}");
    }
    assert_eq!(
        lines.join(" "),
        text.trim_end(),
        "no word is cut, no space lost"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.ends_with("1") && !l.starts_with("250"))
    );

    let word = "https://tolem.example.kg/verify/".repeat(6);
    let pieces = face.wrap(&word, 9.5, 120.0);
    assert!(pieces.len() > 1);
    assert_eq!(pieces.concat(), word);
    assert!(pieces.iter().all(|p| face.width(p, 9.5) <= 120.0));
    assert!(face.wrap("", 10.0, 100.0).is_empty());
}

/// Writes sample PDFs to the temporary folder and times rendering; run by hand
/// (`cargo test --release -p server --lib receipts -- --ignored --nocapture`),
/// then look with `pdftotext`, `pdftoppm -png` and `zbarimg`.
#[test]
#[ignore]
fn samples_and_timing() {
    let doc = kyrgyz();
    let dir = std::env::temp_dir();
    let pdf = render(&doc).expect("a PDF");
    std::fs::write(dir.join("tolem-receipt-ky.pdf"), &pdf).expect("written");
    let mut long = kyrgyz();
    long.refunds.1 =
        vec!["12.03.2025: 1\u{a0}250,00 сом — кайтарылды".to_string(); 40];
    let long = render(&long).expect("a PDF");
    std::fs::write(dir.join("tolem-receipt-long.pdf"), long).expect("written");
    let mut times: Vec<f64> = (0..300)
        .map(|_| {
            let start = std::time::Instant::now();
            let _ = render(&doc);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "{} bytes; p50 {:.2} ms, p99 {:.2} ms over 300 renders",
        pdf.len(),
        times[150],
        times[296]
    );
}
