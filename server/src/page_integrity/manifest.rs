//! The payment page's manifest, made with each release (`server manifest`
//! after the site is built): every script the page runs with its hash and
//! why it is there, the stylesheet, and the security headers the page is
//! sent with. The server pins the page's scripts to it, serves it as the
//! inventory (`/security/payment-page.json`), and `server check-page`
//! compares a live page with it.

use crate::web::SECURITY_HEADERS;
use app::integrity::{Pinned, PinnedAssets};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The manifest's file in the site's root (beside `pkg/`).
pub const FILE: &str = "payment-page.json";
/// What stands for each response's own nonce in the recorded policy.
pub const NONCE: &str = "{nonce}";
/// The page the manifest is about.
pub const PAGE: &str = "/pay/{code}";
/// The 3-D Secure step of a payment begun on [`PAGE`].
pub const THREE_DS_PAGE: &str = "/payment/{id}";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The server's version the release was built as.
    pub release: String,
    pub made_at: DateTime<Utc>,
    pub page: String,
    /// Header names (lower case) and the values the page is sent with.
    pub headers: BTreeMap<String, String>,
    /// Every script the page (and its 3-D Secure step) runs, none left out.
    pub scripts: Vec<Script>,
    pub assets: PinnedAssets,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub kind: ScriptKind,
    /// Where it is loaded from; `None` for a script written into the page.
    pub src: Option<String>,
    /// The page that runs it: [`PAGE`], or the 3-D Secure step after it.
    pub page: String,
    /// `sha384-<base64>` of its bytes (of its text, when inline).
    pub integrity: String,
    pub purpose: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScriptKind {
    ImportMap,
    Module,
    InlineModule,
    InlineScript,
    WebAssembly,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("no {0} file in {1} (was the site built?)")]
    Missing(&'static str, PathBuf),
    #[error("{0} is not a manifest: {1}")]
    Malformed(PathBuf, serde_json::Error),
}

/// The Subresource Integrity value of `bytes`.
pub fn integrity_of(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// The headers the payment page is sent with, its nonce left out.
pub fn page_headers() -> BTreeMap<String, String> {
    let mut headers: BTreeMap<String, String> = SECURITY_HEADERS
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), (*value).to_owned()))
        .collect();
    headers.insert(
        "content-security-policy".into(),
        app::http::content_security_policy(NONCE, None),
    );
    headers.insert("cache-control".into(), "no-store".into());
    headers
}

impl Manifest {
    /// The manifest of the site built in `site_root`: copies its module,
    /// WebAssembly and stylesheet under `pkg/` to their content-hashed
    /// names ([`crate::web::assets`]), which the pages name, and hashes them
    /// and the inline scripts the page is rendered with.
    pub fn make(site_root: &Path, now: DateTime<Utc>) -> Result<Manifest, ManifestError> {
        let pkg = site_root.join("pkg");
        let pin = |extension: &'static str| -> Result<Pinned, ManifestError> {
            let name = asset_named(&pkg, extension)?;
            let bytes = std::fs::read(pkg.join(&name))
                .map_err(|e| ManifestError::Read(pkg.join(&name), e))?;
            let hashed = crate::web::assets::copy_hashed(&pkg, &name, &bytes)
                .map_err(|e| ManifestError::Read(pkg.join(&name), e))?;
            Ok(Pinned {
                path: format!("/pkg/{hashed}"),
                integrity: integrity_of(&bytes),
            })
        };
        let assets = PinnedAssets {
            module: pin("js")?,
            wasm: pin("wasm")?,
            stylesheet: pin("css")?,
        };
        let mut scripts = vec![
            Script {
                kind: ScriptKind::ImportMap,
                src: None,
                page: PAGE.into(),
                integrity: integrity_of(assets.import_map().as_bytes()),
                purpose: "Gives the card form's module its hash, so the browser refuses \
                          a module whose bytes differ."
                    .into(),
            },
            Script {
                kind: ScriptKind::InlineModule,
                src: None,
                page: PAGE.into(),
                integrity: integrity_of(assets.loader().as_bytes()),
                purpose: "Starts the card form when the page is idle: loads the module and \
                          the WebAssembly, each with its hash."
                    .into(),
            },
            Script {
                kind: ScriptKind::Module,
                src: Some(assets.module.path.clone()),
                page: PAGE.into(),
                integrity: assets.module.integrity.clone(),
                purpose: "The card form's glue code made by wasm-bindgen: loads the \
                          WebAssembly and hands the island its page elements."
                    .into(),
            },
            Script {
                kind: ScriptKind::WebAssembly,
                src: Some(assets.wasm.path.clone()),
                page: PAGE.into(),
                integrity: assets.wasm.integrity.clone(),
                purpose: "The card form's checks as the citizen types (number, expiry, \
                          security code), the same code the server checks with; it sends \
                          nothing: a form that passes is posted by the browser itself."
                    .into(),
            },
        ];
        scripts.extend(app::integrity::LEPTOS_INLINE_SCRIPTS.map(|text| {
            Script {
                kind: ScriptKind::InlineScript,
                src: None,
                page: PAGE.into(),
                integrity: integrity_of(text.as_bytes()),
                purpose: "Leptos's record of the data the server loaded for the page, empty \
                      here: sets four empty lists and runs nothing."
                    .into(),
            }
        }));
        scripts.push(Script {
            kind: ScriptKind::InlineScript,
            src: None,
            page: THREE_DS_PAGE.into(),
            integrity: integrity_of(app::integrity::THREE_DS_SUBMIT.as_bytes()),
            purpose: "Sends the browser on to the card issuer's 3-D Secure challenge (the \
                      form's Continue button does the same without JavaScript)."
                .into(),
        });
        Ok(Manifest {
            release: env!("CARGO_PKG_VERSION").into(),
            made_at: now,
            page: PAGE.into(),
            headers: page_headers(),
            scripts,
            assets,
        })
    }

    pub fn write(&self, site_root: &Path) -> Result<PathBuf, ManifestError> {
        let path = site_root.join(FILE);
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(&path, text + "\n").map_err(|e| ManifestError::Read(path.clone(), e))?;
        Ok(path)
    }

    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ManifestError::Read(path.into(), e))?;
        serde_json::from_str(&text).map_err(|e| ManifestError::Malformed(path.into(), e))
    }

    /// The files under `site_root` whose bytes are not the manifest's.
    pub fn changed_files(&self, site_root: &Path) -> Vec<String> {
        let assets = &self.assets;
        [&assets.module, &assets.wasm, &assets.stylesheet]
            .into_iter()
            .filter(|pinned| {
                let file = site_root.join(pinned.path.trim_start_matches('/'));
                std::fs::read(file).map(|bytes| integrity_of(&bytes)).ok()
                    != Some(pinned.integrity.clone())
            })
            .map(|pinned| pinned.path.clone())
            .collect()
    }
}

/// The one file of `pkg/` with this extension as cargo-leptos wrote it
/// (`tolem.js`, `tolem.wasm` or `tolem_bg.wasm`, `tolem.css`), not a hashed
/// copy.
fn asset_named(pkg: &Path, extension: &'static str) -> Result<String, ManifestError> {
    let entries = std::fs::read_dir(pkg).map_err(|e| ManifestError::Read(pkg.into(), e))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| Path::new(name).extension().is_some_and(|e| e == extension))
        .filter(|name| !crate::web::assets::is_hashed(name))
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .ok_or_else(|| ManifestError::Missing(extension, pkg.into()))
}
