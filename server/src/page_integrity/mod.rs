//! The payment page's integrity (PCI DSS 6.4.3 and 11.6.1): the release's
//! manifest of every script the page runs and the headers it is sent with
//! ([`manifest`]), the inventory served from it, the browsers' reports of
//! what the security policy blocked ([`reports`]), the change and tamper
//! check a schedule runs against the live page ([`check`]), and the
//! commands that make the manifest, run the check and list the reports
//! ([`cli`]).

pub mod check;
pub mod cli;
pub mod manifest;
pub mod reports;

use crate::storage::CspReportStore;
use app::integrity::PinnedAssets;
use app::services::Clock;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use manifest::Manifest;
use std::path::Path;
use std::sync::Arc;

/// The release's manifest (when it has one) and the desk of CSP reports.
#[derive(Clone)]
pub struct PageIntegrity {
    pub manifest: Option<Arc<Manifest>>,
    pub reports: Arc<reports::ReportDesk>,
}

impl PageIntegrity {
    /// Reads the manifest of the site in `site_root` and checks the files
    /// it pins. Without one no page offers a script; a file that differs
    /// is reported (browsers will refuse it).
    pub fn open(site_root: &Path, store: Arc<dyn CspReportStore>, clock: Clock) -> PageIntegrity {
        let path = site_root.join(manifest::FILE);
        let manifest = match Manifest::read(&path) {
            Ok(manifest) => {
                let changed = manifest.changed_files(site_root);
                if changed.is_empty() {
                    tracing::info!(release = %manifest.release, "payment page scripts pinned");
                } else {
                    tracing::error!(
                        ?changed,
                        "site files differ from the release's manifest: browsers will refuse them"
                    );
                }
                Some(Arc::new(manifest))
            }
            Err(error) => {
                tracing::warn!(%error, "no payment page manifest: pages are served without scripts");
                None
            }
        };
        PageIntegrity {
            manifest,
            reports: Arc::new(reports::ReportDesk::new(store, clock)),
        }
    }

    pub fn assets(&self) -> Option<PinnedAssets> {
        self.manifest.as_ref().map(|m| m.assets.clone())
    }
}

/// The inventory of the payment page's scripts: the release's manifest.
pub async fn inventory(State(integrity): State<PageIntegrity>) -> Response {
    match &integrity.manifest {
        Some(manifest) => Json(manifest.as_ref().clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(serde_json::json!({
                "type": "about:blank",
                "title": "No manifest",
                "status": 404,
                "detail": "This release was built without the payment page's manifest \
                           (`server manifest`), so its pages offer no script."
            })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests;
