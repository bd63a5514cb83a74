//! Policy documents: their text is data (Markdown files under `content/`),
//! rendered to HTML once at start-up.

use app::backend::DocumentView;
use chrono::NaiveDate;

/// Edition 1 of the privacy policy: the operator's Russian text.
const PRIVACY_POLICY_RU_1: &str = include_str!("../../content/documents/privacy-policy/1.ru.md");

pub fn render_markdown(source: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(source, pulldown_cmark::Options::empty());
    // Raw HTML in the source is shown as text, never passed through.
    let events = parser.map(|event| match event {
        pulldown_cmark::Event::Html(html) | pulldown_cmark::Event::InlineHtml(html) => {
            pulldown_cmark::Event::Text(html)
        }
        other => other,
    });
    let mut html = String::with_capacity(source.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

pub fn privacy_policy() -> DocumentView {
    DocumentView {
        edition: 1,
        language: "ru".into(),
        effective_from: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        html: render_markdown(PRIVACY_POLICY_RU_1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_renders_with_its_sections_and_card_data_list() {
        let policy = privacy_policy();
        assert!(policy.html.contains("<h1>"));
        assert_eq!(policy.html.matches("<h2>").count(), 6);
        assert!(
            policy
                .html
                .contains("<li>шестнадцатизначный номер банковской карты")
        );
        assert!(policy.html.contains("support@infocom.kg"));
    }

    #[test]
    fn raw_html_is_escaped() {
        assert!(!render_markdown("<script>x</script>").contains("<script>"));
    }
}
