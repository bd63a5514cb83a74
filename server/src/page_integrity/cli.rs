//! `server manifest` (made with each release, after the site is built),
//! `server check-page <URL>` (run on a schedule against the live payment
//! page) and `server csp-reports` (the latest reports browsers sent).

use super::check::check_page;
use super::manifest::{self, Manifest};
use crate::config::Config;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Writes the manifest of the site built in `site_root`.
pub fn make_manifest(site_root: &Path) -> ExitCode {
    match Manifest::make(site_root, chrono::Utc::now()).and_then(|m| m.write(site_root)) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tolem: manifest: {error}");
            ExitCode::from(2)
        }
    }
}

/// Compares the page at `url` with the manifest: prints each difference
/// and exits 1 when there is one, 2 when the page could not be checked.
pub async fn check(url: &str, manifest_path: &Path) -> ExitCode {
    let manifest = match Manifest::read(manifest_path) {
        Ok(manifest) => manifest,
        Err(error) => {
            eprintln!("tolem: check-page: {error}");
            return ExitCode::from(2);
        }
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            eprintln!("tolem: check-page: {error}");
            return ExitCode::from(2);
        }
    };
    println!(
        "checking {url} against the manifest of release {} made {}",
        manifest.release, manifest.made_at
    );
    match check_page(&client, url, &manifest).await {
        Ok(differences) if differences.is_empty() => {
            println!(
                "unchanged: {} headers, {} scripts and the stylesheet as released",
                manifest.headers.len(),
                manifest.scripts.len()
            );
            ExitCode::SUCCESS
        }
        Ok(differences) => {
            for difference in &differences {
                println!("DIFFERS: {difference}");
            }
            println!("{} difference(s) from the release", differences.len());
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("tolem: check-page: {error}");
            ExitCode::from(2)
        }
    }
}

/// Prints the latest `limit` CSP reports, newest first.
pub async fn list_reports(limit: i64) -> ExitCode {
    let store = match crate::storage::connect(&Config::database_url_from_env()).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tolem: csp-reports: {error}");
            return ExitCode::from(2);
        }
    };
    match store.latest_csp_reports(limit).await {
        Ok(reports) => {
            for r in reports {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.received_at.to_rfc3339(),
                    r.disposition,
                    r.page,
                    r.directive,
                    r.blocked,
                    r.source.unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tolem: csp-reports: {error}");
            ExitCode::from(2)
        }
    }
}

/// Where the release's manifest is by default: beside the built site.
pub fn default_manifest() -> std::path::PathBuf {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    Path::new(&site_root).join(manifest::FILE)
}
