use super::check::{Difference, compare_headers, compare_scripts};
use super::manifest::{Manifest, ScriptKind, integrity_of, page_headers};
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

fn site() -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg");
    std::fs::write(pkg.join("tolem.js"), "export default function init() {}").expect("js");
    std::fs::write(pkg.join("tolem.js.br"), "compressed").expect("br");
    std::fs::write(pkg.join("tolem.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
    std::fs::write(pkg.join("tolem.css"), "body{}").expect("css");
    let manifest = Manifest::make(dir.path(), chrono::Utc::now()).expect("manifest");
    (dir, manifest)
}

#[test]
fn the_manifest_pins_every_file_and_inline_script_of_the_page() {
    let (dir, manifest) = site();
    let hashed = crate::web::assets::hashed_name("tolem.js", b"export default function init() {}");
    assert_eq!(manifest.assets.module.path, format!("/pkg/{hashed}"));
    // The page names the hashed copy, which holds the very same bytes.
    assert_eq!(
        std::fs::read(dir.path().join("pkg").join(&hashed)).expect("copy"),
        b"export default function init() {}"
    );
    // Made again, the manifest pins the plain file's copy, not a copy's copy.
    let again = Manifest::make(dir.path(), chrono::Utc::now()).expect("again");
    assert_eq!(again.assets, manifest.assets);
    assert_eq!(
        manifest.assets.module.integrity,
        integrity_of(b"export default function init() {}")
    );
    assert_eq!(
        integrity_of(b"abc"), // openssl dgst -sha384 -binary | base64
        "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
    );
    let kinds: Vec<ScriptKind> = manifest.scripts.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            ScriptKind::ImportMap,
            ScriptKind::InlineModule,
            ScriptKind::Module,
            ScriptKind::WebAssembly,
            ScriptKind::InlineScript,
            ScriptKind::InlineScript,
            ScriptKind::InlineScript
        ]
    );
    assert!(manifest.scripts.iter().all(|s| !s.purpose.is_empty()));
    let path = manifest.write(dir.path()).expect("written");
    assert_eq!(Manifest::read(&path).expect("read back"), manifest);
    assert!(manifest.changed_files(dir.path()).is_empty());
    let wasm = manifest.assets.wasm.path.clone();
    std::fs::write(
        dir.path().join(wasm.trim_start_matches('/')),
        b"\0asm\x01\0\0\x01",
    )
    .expect("tamper");
    assert_eq!(manifest.changed_files(dir.path()), [wasm]);
}

#[test]
fn a_site_without_its_files_has_no_manifest() {
    let dir = tempfile::tempdir().expect("temporary directory");
    assert!(Manifest::make(dir.path(), chrono::Utc::now()).is_err());
}

fn headers_as_sent(nonce: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in page_headers() {
        let value = value.replace("{nonce}", nonce);
        headers.insert(
            HeaderName::try_from(name).expect("name"),
            HeaderValue::try_from(value).expect("value"),
        );
    }
    headers
}

#[test]
fn headers_compare_whatever_the_nonce() {
    let (_dir, manifest) = site();
    assert_eq!(
        compare_headers(&manifest, &headers_as_sent("r4nd0m")),
        vec![]
    );
    let mut headers = headers_as_sent("other");
    headers.remove("permissions-policy");
    headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    let differences = compare_headers(&manifest, &headers);
    assert!(
        matches!(&differences[..], [
        Difference::HeaderMissing { name: missing, .. },
        Difference::HeaderChanged { name: changed, found, .. },
    ] if missing == "permissions-policy" && changed == "x-frame-options" && found == "SAMEORIGIN"),
        "{differences:?}"
    );
}

fn page(manifest: &Manifest, extra: &str) -> String {
    let assets = &manifest.assets;
    format!(
        r#"<!DOCTYPE html><html><head>
        <script type="importmap" nonce="n">{}</script>
        <link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">
        <script type="module" nonce="n">{}</script>{extra}</head><body></body></html>
        <script nonce="n">{}</script><script nonce="n">{}</script>"#,
        assets.import_map(),
        assets.module.path,
        assets.module.integrity,
        assets.loader(),
        app::integrity::LEPTOS_INLINE_SCRIPTS[0],
        app::integrity::LEPTOS_INLINE_SCRIPTS[1],
    )
}

#[test]
fn every_script_of_the_page_must_be_the_manifests() {
    let (_dir, manifest) = site();
    let url = Url::parse("https://pay.example.kg/pay/1234567890").expect("url");
    assert_eq!(
        compare_scripts(&manifest, &url, &page(&manifest, "")),
        vec![]
    );
    let injected = page(
        &manifest,
        r#"<script src="https://skimmer.example/c.js"></script><script>steal()</script>"#,
    );
    let differences = compare_scripts(&manifest, &url, &injected);
    assert_eq!(differences.len(), 2, "{differences:?}");
    assert!(
        differences
            .iter()
            .all(|d| matches!(d, Difference::UnexpectedScript { .. }))
    );
    // The module's preload comes after the import map, which names the hash too.
    let preload = format!(r#"integrity="{}""#, manifest.assets.module.integrity);
    let repinned = page(&manifest, "").replacen(&preload, r#"integrity="sha384-x""#, 1);
    let differences = compare_scripts(&manifest, &url, &repinned);
    assert!(
        matches!(&differences[..], [Difference::PinChanged { path, .. }] if *path == manifest.assets.module.path),
        "{differences:?}"
    );
    let without_loader = page(&manifest, "").replace(&manifest.assets.loader(), "");
    let differences = compare_scripts(&manifest, &url, &without_loader);
    assert!(differences.contains(&Difference::UnexpectedScript {
        what: format!("inline script {}", integrity_of(b""))
    }));
    assert!(
        differences
            .iter()
            .any(|d| matches!(d, Difference::MissingScript { .. }))
    );
}
