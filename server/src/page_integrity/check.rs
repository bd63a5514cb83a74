//! The change and tamper check of the payment page (PCI DSS 11.6.1):
//! fetches the page as a browser would, compares its security headers and
//! every script it runs with the release's manifest, fetches each file the
//! manifest pins and hashes it, and lists what differs: a header changed or
//! gone, a file whose bytes are not the release's, a script or preload the
//! manifest does not know, one it expects that is gone.

use super::manifest::{Manifest, NONCE, integrity_of};
use reqwest::Url;
use scraper::{Html, Selector};
use std::collections::HashSet;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    HeaderMissing {
        name: String,
        expected: String,
    },
    HeaderChanged {
        name: String,
        expected: String,
        found: String,
    },
    /// A pinned file whose bytes hash to something else (or cannot be had).
    FileChanged {
        path: String,
        expected: String,
        found: String,
    },
    /// The page pins a file with another hash than the release's.
    PinChanged {
        path: String,
        expected: String,
        found: String,
    },
    UnexpectedScript {
        what: String,
    },
    MissingScript {
        what: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::HeaderMissing { name, expected } => {
                write!(
                    f,
                    "header {name} is missing (the release sends {expected:?})"
                )
            }
            Difference::HeaderChanged {
                name,
                expected,
                found,
            } => {
                write!(
                    f,
                    "header {name} changed: {found:?} where the release sends {expected:?}"
                )
            }
            Difference::FileChanged {
                path,
                expected,
                found,
            } => {
                write!(
                    f,
                    "{path} is not the release's: {found} where the release has {expected}"
                )
            }
            Difference::PinChanged {
                path,
                expected,
                found,
            } => write!(
                f,
                "the page pins {path} to {found} where the release pins {expected}"
            ),
            Difference::UnexpectedScript { what } => {
                write!(f, "a script not in the manifest: {what}")
            }
            Difference::MissingScript { what } => {
                write!(f, "a script of the manifest is gone: {what}")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0} is not an address")]
    Address(String),
    #[error("cannot fetch {0}: {1}")]
    Fetch(String, reqwest::Error),
}

/// What differs between the page at `url` and `manifest`; empty when
/// nothing does.
pub async fn check_page(
    client: &reqwest::Client,
    url: &str,
    manifest: &Manifest,
) -> Result<Vec<Difference>, CheckError> {
    let page_url = Url::parse(url).map_err(|_| CheckError::Address(url.into()))?;
    let response = client
        .get(page_url.clone())
        .header("accept", "text/html")
        .send()
        .await
        .map_err(|e| CheckError::Fetch(url.into(), e))?;
    let mut differences = compare_headers(manifest, response.headers());
    let html = response
        .text()
        .await
        .map_err(|e| CheckError::Fetch(url.into(), e))?;
    differences.extend(compare_scripts(manifest, &page_url, &html));
    let assets = &manifest.assets;
    for pinned in [&assets.module, &assets.wasm, &assets.stylesheet] {
        let found = match fetch_bytes(client, &page_url, &pinned.path).await {
            Ok(bytes) => integrity_of(&bytes),
            Err(why) => why,
        };
        if found != pinned.integrity {
            differences.push(Difference::FileChanged {
                path: pinned.path.clone(),
                expected: pinned.integrity.clone(),
                found,
            });
        }
    }
    Ok(differences)
}

async fn fetch_bytes(client: &reqwest::Client, page: &Url, path: &str) -> Result<Vec<u8>, String> {
    let url = page.join(path).map_err(|e| e.to_string())?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("unreachable ({e})"))?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| format!("unreadable ({e})"))
}

/// The policy with this response's nonce put back to the placeholder.
fn without_nonce(policy: &str) -> String {
    policy
        .split(' ')
        .map(|word| {
            if word.starts_with("'nonce-") {
                format!(
                    "'nonce-{NONCE}'{}",
                    if word.ends_with(';') { ";" } else { "" }
                )
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn compare_headers(
    manifest: &Manifest,
    headers: &reqwest::header::HeaderMap,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    for (name, expected) in &manifest.headers {
        let found: Vec<&str> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| v.to_str().unwrap_or("(not text)"))
            .collect();
        if found.is_empty() {
            differences.push(Difference::HeaderMissing {
                name: name.clone(),
                expected: expected.clone(),
            });
            continue;
        }
        let mut found = found.join(", ");
        if name == "content-security-policy" {
            found = without_nonce(&found);
        }
        if &found != expected {
            differences.push(Difference::HeaderChanged {
                name: name.clone(),
                expected: expected.clone(),
                found,
            });
        }
    }
    differences
}

pub fn compare_scripts(manifest: &Manifest, page_url: &Url, html: &str) -> Vec<Difference> {
    let document = Html::parse_document(html);
    let mut differences = Vec::new();
    let mut seen = HashSet::new();
    let same_origin_path = |reference: &str| {
        page_url
            .join(reference)
            .ok()
            .filter(|u| u.origin() == page_url.origin())
            .map(|u| u.path().to_owned())
    };
    let pinned_by_src = |path: &str| {
        manifest
            .scripts
            .iter()
            .find(|s| s.src.as_deref() == Some(path))
    };
    if let Ok(scripts) = Selector::parse("script") {
        for element in document.select(&scripts) {
            let script = element.value();
            if let Some(src) = script.attr("src") {
                match same_origin_path(src).filter(|p| pinned_by_src(p).is_some()) {
                    Some(path) => {
                        seen.insert(path);
                    }
                    None => differences.push(Difference::UnexpectedScript { what: src.into() }),
                }
                continue;
            }
            let hash = integrity_of(element.text().collect::<String>().as_bytes());
            match manifest
                .scripts
                .iter()
                .find(|s| s.src.is_none() && s.integrity == hash)
            {
                Some(_) => {
                    seen.insert(hash);
                }
                None => differences.push(Difference::UnexpectedScript {
                    what: format!("inline script {hash}"),
                }),
            }
        }
    }
    if let Ok(preloads) = Selector::parse(r#"link[rel="modulepreload"], link[rel="preload"]"#) {
        for element in document.select(&preloads) {
            let link = element.value();
            let href = link.attr("href").unwrap_or_default();
            let Some(entry) = same_origin_path(href).and_then(|p| pinned_by_src(&p)) else {
                differences.push(Difference::UnexpectedScript {
                    what: format!("preload of {href}"),
                });
                continue;
            };
            let found = link.attr("integrity").unwrap_or("(none)");
            if found != entry.integrity {
                differences.push(Difference::PinChanged {
                    path: href.into(),
                    expected: entry.integrity.clone(),
                    found: found.into(),
                });
            }
        }
    }
    let inline_here = |s: &&super::manifest::Script| s.src.is_none() && s.page == manifest.page;
    for script in manifest.scripts.iter().filter(inline_here) {
        if !seen.contains(&script.integrity) {
            differences.push(Difference::MissingScript {
                what: format!("{:?} {}", script.kind, script.integrity),
            });
        }
    }
    differences
}
