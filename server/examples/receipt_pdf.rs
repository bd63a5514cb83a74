//! The receipt PDF's cost (`bench/receipt-pdf.sh` runs it in release): for
//! each language, `--renders` (500) receipts made the way
//! `/receipt/{id}.pdf` makes them (the text in the citizen's language with
//! its QR code, then the PDF), one at a time: p50 and p99 in milliseconds,
//! and the file's size. Beside them, in the same run, the ceiling: the
//! same receipt's text and QR code alone, without the PDF, i.e. what any
//! receipt format would cost. Budget (issue 16): under 20 ms and 60 KB.

use app::i18n::Locale;
use app::services::{ReceiptRefund, ReceiptView, RefundStage, SiteSettings, SupportContacts};
use chrono::{TimeZone, Utc};
use domain::{
    BrandTable, CardBrand, Money, PaymentCode, PaymentId, ReceiptNumber, ServiceKind,
    VerificationCode,
};
use server::receipts::download::document;
use server::receipts::pdf::render;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn receipt() -> ReceiptView {
    let paid_at = Utc.with_ymd_and_hms(2026, 12, 3, 8, 15, 0).unwrap();
    let number = ReceiptNumber::from_sequence(123_456).unwrap();
    ReceiptView {
        id: PaymentId::from_u128(0xab),
        receipt_number: number,
        paid_at,
        service: ServiceKind::Passport,
        code: PaymentCode::parse("11202600000001").unwrap(),
        applicant_masked: "Асанов Б. А.".into(),
        amount: Money::from_tyiyn(123_450).unwrap(),
        brand: CardBrand::Visa,
        masked_card: "411111******1111".into(),
        cardholder: "BAKYT ASANOV".into(),
        processor_reference: "sbx_0123456789abcdef".into(),
        accepted: Vec::new(),
        refunds: vec![ReceiptRefund {
            asked_at: paid_at,
            amount: Money::from_tyiyn(20_000).unwrap(),
            stage: RefundStage::Returned,
        }],
        verification: VerificationCode::new(number, "7KQ4MX9D20".into()).unwrap(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn main() {
    let renders: usize = std::env::args()
        .skip_while(|a| a != "--renders")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let settings = SiteSettings {
        contacts: SupportContacts {
            email: "support@infocom.kg".into(),
            phones: vec!["(0312) 98-61-90".into(), "98-61-91".into()],
        },
        brand_table: BrandTable::default(),
        elcart_prefix: "9417".into(),
        test_mode: false,
        site_url: "https://payment.infocom.kg".into(),
        assets: None,
        clock: Arc::new(Utc::now),
    };
    let receipt = receipt();
    println!("{renders} receipts per language, one at a time (ms)");
    println!("lang  pdf p50  pdf p99  size KB  | ceiling: text + QR p50  p99");
    for (tag, locale) in [("ru", Locale::ru), ("ky", Locale::ky), ("en", Locale::en)] {
        // Warm the fonts and the allocator first.
        let _ = render(&document(locale, &receipt, &settings));
        let mut pdf = Vec::with_capacity(renders);
        let mut text = Vec::with_capacity(renders);
        let mut size = 0;
        for _ in 0..renders {
            let started = Instant::now();
            let doc = document(locale, &receipt, &settings);
            text.push(started.elapsed());
            let bytes = render(&doc).expect("a PDF");
            pdf.push(started.elapsed());
            size = bytes.len();
        }
        pdf.sort();
        text.sort();
        println!(
            "{tag}    {:7.2}  {:7.2}  {:7.1}  |                   {:5.2}  {:5.2}",
            percentile(&pdf, 0.5),
            percentile(&pdf, 0.99),
            size as f64 / 1024.0,
            percentile(&text, 0.5),
            percentile(&text, 0.99),
        );
    }
}
