//! The tolem server binary: `server` (or `server serve`) starts the site
//! with configuration from the environment; `server publish` publishes an
//! edition of a policy document; `server agency`, `server api-key` and
//! `server webhook` manage the agencies that use the agency API; `server
//! manifest` and `server check-page` pin and watch the payment page's
//! scripts. `server --help` says the rest.
//!
//! A wrong configuration stops the server before it touches the database
//! or the network: one line on stderr, `tolem: configuration: <SETTING>
//! <what is wrong>`, and exit code 2 (as for a bad command line), so a
//! deployment script or a supervisor sees the mistake, not a site that
//! takes no real money.

use clap::{Parser, Subcommand};
use server::Application;
use server::agencies::cli::{self, AgencyCommand, KeyCommand, WebhookCommand};
use server::config::Config;
use server::documents::{Documents, NewEdition, publish};
use server::page_integrity::cli as integrity;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// A payment allocates a few hundred small objects (HTTP, JSON, its batch
/// write); glibc's allocator took a sixth of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Payment of government fees by card. Configuration comes from the
/// environment (see the README); `DATABASE_URL` names the database.
#[derive(Parser)]
#[command(name = "server", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the site (the default).
    Serve,
    /// Publish a new edition of a document, or (with --edition) a
    /// translation of an existing one. The file is checked first and a
    /// malformed one is refused with the reason.
    Publish {
        /// privacy-policy or user-agreement
        #[arg(long)]
        document: String,
        /// ru (a new edition), or ky / en (a translation, with --edition)
        #[arg(long)]
        language: String,
        /// When it takes effect, e.g. 2026-12-01T00:00:00+06:00
        #[arg(long, value_parser = parse_time)]
        effective_from: chrono::DateTime<chrono::Utc>,
        /// Who publishes it, as shown in the archive
        #[arg(long)]
        published_by: String,
        /// The edition a translation belongs to
        #[arg(long)]
        edition: Option<u32>,
        /// The edition's Markdown file
        file: PathBuf,
    },
    /// Agencies that issue payment requests through the agency API.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// The agencies' API keys.
    #[command(subcommand)]
    ApiKey(KeyCommand),
    /// Webhook deliveries.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The operator's staff accounts (the back office at /admin).
    #[command(subcommand)]
    User(server::staff::cli::UserCommand),
    /// Make the payment page's manifest (its scripts' hashes and security
    /// headers) of the site built in SITE; run after each build.
    Manifest {
        #[arg(long, default_value = "target/site", env = "LEPTOS_SITE_ROOT")]
        site: PathBuf,
    },
    /// Compare the live payment page (e.g. https://.../pay/<code>) with the
    /// release's manifest: prints what differs, exits 1 if anything does.
    CheckPage {
        url: String,
        /// The release's manifest (default: the built site's)
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// The latest reports browsers sent of what the pages' security policy
    /// blocked, newest first.
    CspReports {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|_| format!("{text:?} is not a time like 2026-12-01T00:00:00+06:00"))
}

#[tokio::main]
async fn main() -> ExitCode {
    server::telemetry::init();
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Publish {
            document,
            language,
            effective_from,
            published_by,
            edition,
            file,
        } => {
            let new = NewEdition {
                document,
                language,
                edition,
                effective_from,
                source: String::new(),
                published_by,
            };
            publish_command(new, &file).await
        }
        Command::Agency(command) => cli::agency(command).await,
        Command::ApiKey(command) => cli::api_key(command).await,
        Command::Webhook(command) => cli::webhook(command).await,
        Command::User(command) => server::staff::cli::user(command).await,
        Command::Manifest { site } => integrity::make_manifest(&site),
        Command::CheckPage { url, manifest } => {
            integrity::check(&url, &manifest.unwrap_or_else(integrity::default_manifest)).await
        }
        Command::CspReports { limit } => integrity::list_reports(limit).await,
    }
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tolem: configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let application = match Application::build(config).await {
        Ok(application) => application,
        Err(error @ server::StartError::Config(_)) => {
            // Its text begins with "configuration: ".
            eprintln!("tolem: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            tracing::error!(%error, "start-up failed");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(port = application.port(), "listening");
    match application.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn publish_command(mut edition: NewEdition, file: &std::path::Path) -> ExitCode {
    let shown = file.display();
    edition.source = match std::fs::read(file).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            eprintln!("tolem publish: {shown} is not UTF-8 text");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("tolem publish: cannot read {shown}: {error}");
            return ExitCode::from(2);
        }
    };
    // Publishing takes no payments: the database is all it needs.
    let database_url = Config::database_url_from_env();
    let store = match server::storage::connect(&database_url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tolem publish: {error}");
            return ExitCode::FAILURE;
        }
    };
    let now = chrono::Utc::now();
    // Edition 1 must exist before a second can follow it.
    if let Err(error) = server::documents::seed(store.as_ref(), now).await {
        eprintln!("tolem publish: {error}");
        return ExitCode::FAILURE;
    }
    let documents = match Documents::load(store, Arc::new(chrono::Utc::now)).await {
        Ok(documents) => documents,
        Err(error) => {
            eprintln!("tolem publish: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (document, language, effective_from) = (
        edition.document.clone(),
        edition.language.clone(),
        edition.effective_from,
    );
    match publish(&documents, edition, now).await {
        Ok(number) => {
            println!(
                "published edition {number} of {document} ({language}), in force from {}",
                effective_from.to_rfc3339()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tolem publish: refused: {error}");
            ExitCode::from(2)
        }
    }
}
