use super::*;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

#[test]
fn a_report_uri_report_keeps_where_and_what_only() {
    let body = br#"{"csp-report": {
        "document-uri": "https://pay.example.kg/pay/1234567890?x=4111111111111111",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://skimmer.example/c.js?card=4111111111111111",
        "source-file": "https://pay.example.kg/pkg/tolem.js?v=1",
        "line-number": 12,
        "script-sample": "4111111111111111",
        "disposition": "enforce"}}"#;
    let reports: Vec<CspReport> = parse(body)
        .into_iter()
        .map(|s| s.into_report(now()))
        .collect();
    assert_eq!(
        reports,
        vec![CspReport {
            received_at: now(),
            page: "/pay/1234567890".into(),
            directive: "script-src-elem".into(),
            blocked: "https://skimmer.example".into(),
            source: Some("https://pay.example.kg/pkg/tolem.js".into()),
            line: Some(12),
            disposition: "enforce".into(),
        }]
    );
}

#[test]
fn reporting_api_batches_are_read_and_bounded() {
    let one = r#"{"type": "csp-violation", "body": {
        "documentURL": "https://pay.example.kg/pay/1", "effectiveDirective": "script-src-elem",
        "blockedURL": "inline", "disposition": "report", "lineNumber": 3}}"#;
    let other = r#"{"type": "deprecation", "body": {"id": "x"}}"#;
    let body = format!("[{other}, {}]", vec![one; 30].join(","));
    let reports: Vec<CspReport> = parse(body.as_bytes())
        .into_iter()
        .map(|s| s.into_report(now()))
        .collect();
    assert_eq!(reports.len(), PER_REQUEST);
    assert_eq!(reports[0].blocked, "inline");
    assert_eq!(reports[0].disposition, "report");
    assert_eq!(reports[0].page, "/pay/1");
}

#[test]
fn card_numbers_never_stay_in_what_is_kept() {
    let body = br#"{"csp-report": {
        "document-uri": "https://pay.example.kg/pay/4111 1111 1111 1111",
        "effective-directive": "connect-src 4111111111111111",
        "blocked-uri": "data:4111111111111111",
        "source-file": "https://evil.example/4111-1111-1111-1111/x.js"}}"#;
    let kept = format!(
        "{:?}",
        parse(body)
            .into_iter()
            .map(|s| s.into_report(now()))
            .collect::<Vec<_>>()
    );
    assert!(!kept.contains("1111"), "{kept}");
    assert!(kept.contains("[card number]"), "{kept}");
}

#[test]
fn anything_else_is_no_report() {
    for body in [
        &b""[..],
        b"null",
        b"[1,2]",
        b"{\"a\":1}",
        b"\xff\xfe",
        b"{\"csp-report\": 5}",
    ] {
        assert_eq!(parse(body), vec![], "{body:?}");
    }
}

#[test]
fn a_report_without_its_fields_is_kept_as_unknown() {
    let reports: Vec<CspReport> = parse(br#"{"csp-report": {}}"#)
        .into_iter()
        .map(|s| s.into_report(now()))
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        (reports[0].page.as_str(), reports[0].directive.as_str()),
        ("/", "unknown")
    );
    assert_eq!(reports[0].blocked, "other");
}

#[test]
fn a_user_name_or_password_in_a_url_is_never_kept() {
    let body = br#"{"csp-report": {"document-uri": "https://pay.example.kg/pay/1",
        "blocked-uri": "https://user:secret@skimmer.example:8443/c.js",
        "source-file": "https://user:secret@cdn.example/a.js#x"}}"#;
    let kept = format!(
        "{:?}",
        parse(body)
            .into_iter()
            .map(|s| s.into_report(now()))
            .collect::<Vec<_>>()
    );
    assert!(!kept.contains("secret") && !kept.contains("user"), "{kept}");
    assert!(kept.contains("https://skimmer.example:8443"), "{kept}");
    assert!(kept.contains("https://cdn.example/a.js"), "{kept}");
}
