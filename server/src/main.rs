//! The tolem server binary.
//!
//! - `server` starts the site with configuration from the environment.
//! - `server publish --document <privacy-policy|user-agreement> --language <ru|ky|en>
//!   --effective-from <RFC 3339 time> --published-by <name> [--edition <n>] <file.md>`
//!   publishes a new edition of a document (or, with `--edition`, a translation
//!   of an existing one) into the database named by `DATABASE_URL`. It checks
//!   the file and refuses a malformed one with a message saying why.

use server::Application;
use server::config::Config;
use server::documents::{NewEdition, publish};
use std::process::ExitCode;

/// A payment allocates a few hundred small objects (HTTP, JSON, its batch
/// write); glibc's allocator took a sixth of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PUBLISH_USAGE: &str = "usage: server publish --document <privacy-policy|user-agreement> \
--language <ru|ky|en> --effective-from <time, e.g. 2026-12-01T00:00:00+06:00> \
--published-by <name> [--edition <n>] <file.md>";

#[tokio::main]
async fn main() -> ExitCode {
    server::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve().await,
        Some("publish") => publish_command(&args[1..]).await,
        Some("--help" | "-h" | "help") => {
            println!("server            start the site (configuration from the environment)");
            println!("{PUBLISH_USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("tolem: unknown command {other:?}\n{PUBLISH_USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tolem: {error}");
            return ExitCode::from(2);
        }
    };
    let application = match Application::build(config).await {
        Ok(application) => application,
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

/// The arguments of `publish`, read strictly: every option once, one file.
fn parse_publish(args: &[String]) -> Result<(NewEdition, String), String> {
    let mut document = None;
    let mut language = None;
    let mut effective_from = None;
    let mut published_by = None;
    let mut edition = None;
    let mut file = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--document" => document = Some(value("--document")?),
            "--language" => language = Some(value("--language")?),
            "--effective-from" => effective_from = Some(value("--effective-from")?),
            "--published-by" => published_by = Some(value("--published-by")?),
            "--edition" => edition = Some(value("--edition")?),
            option if option.starts_with("--") => return Err(format!("unknown option {option}")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(format!("one file only; also got {extra:?}")),
        }
    }
    let effective_from = effective_from.ok_or("--effective-from is required")?;
    let effective_from = chrono::DateTime::parse_from_rfc3339(&effective_from)
        .map_err(|_| {
            format!(
                "--effective-from {effective_from:?} is not a time like 2026-12-01T00:00:00+06:00"
            )
        })?
        .with_timezone(&chrono::Utc);
    let edition = edition
        .map(|e| {
            e.parse::<u32>()
                .map_err(|_| format!("--edition {e:?} is not a number"))
        })
        .transpose()?;
    let file = file.ok_or("the edition's file is required")?;
    Ok((
        NewEdition {
            document: document.ok_or("--document is required")?,
            language: language.ok_or("--language is required")?,
            edition,
            effective_from,
            source: String::new(),
            published_by: published_by.ok_or("--published-by is required")?,
        },
        file,
    ))
}

async fn publish_command(args: &[String]) -> ExitCode {
    let (mut edition, file) = match parse_publish(args) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("tolem publish: {error}\n{PUBLISH_USAGE}");
            return ExitCode::from(2);
        }
    };
    edition.source = match std::fs::read(&file).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            eprintln!("tolem publish: {file} is not UTF-8 text");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("tolem publish: cannot read {file}: {error}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tolem publish: {error}");
            return ExitCode::from(2);
        }
    };
    let store = match server::storage::connect(&config.database_url).await {
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
    let (document, language, effective_from) = (
        edition.document.clone(),
        edition.language.clone(),
        edition.effective_from,
    );
    let documents = match server::documents::Documents::load(store).await {
        Ok(documents) => documents,
        Err(error) => {
            eprintln!("tolem publish: {error}");
            return ExitCode::FAILURE;
        }
    };
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
