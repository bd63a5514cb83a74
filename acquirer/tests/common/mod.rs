//! What both integration test files build their requests from.

use acquirer::protocol::{AuthoriseRequest, CardData};

/// Where challenges send the browser back to; nothing listens there.
pub const RETURN_URL: &str = "http://127.0.0.1:9/pay/3ds-return?lang=ru";

/// A valid authorisation of 2,200 som with `number`, expiring in 2099.
pub fn request(order_id: &str, number: &str) -> AuthoriseRequest {
    AuthoriseRequest {
        order_id: order_id.to_owned(),
        amount_minor: 220_000,
        currency: "KGS".to_owned(),
        card: CardData {
            number: number.to_owned().into(),
            exp_month: 12,
            exp_year: 2099,
            cvv: "739".to_owned().into(),
            holder: "AIDA ASANOVA".to_owned(),
        },
        return_url: RETURN_URL.to_owned(),
    }
}
