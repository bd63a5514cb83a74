//! The operator's commands for agencies, keys and webhooks (`server agency
//! …`, `server api-key …`, `server webhook …`): each opens the database
//! named by `DATABASE_URL`, does one thing, and prints what the operator
//! must pass on (an id, a key or a secret, shown this once).

use super::admin::{self, AdminError, NewAgency};
use super::keys::KeyMode;
use crate::config::Config;
use crate::storage::{PaymentStore, StoreError, WebhookStore};
use clap::Subcommand;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum AgencyCommand {
    /// Create an agency; prints its id, and with a webhook URL its signing
    /// secret (once).
    Create {
        #[arg(long)]
        name: String,
        /// The services it may bill: passport,driving_licence,meken_card
        #[arg(long)]
        services: String,
        /// Where its webhooks go: https:// (or http to a loopback address
        /// in test mode)
        #[arg(long)]
        webhook_url: Option<String>,
    },
    /// List agencies.
    List,
    /// Set or change an agency's webhook URL.
    SetWebhook {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        url: String,
    },
    /// Give an agency a new signing secret; the old one keeps signing
    /// beside it for the overlap.
    RotateSecret {
        #[arg(long)]
        agency: String,
        #[arg(long, default_value_t = 24)]
        overlap_hours: i64,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a key for an agency; prints it once (only its hash is kept).
    Create {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (never the keys themselves: their visible start).
    List {
        #[arg(long)]
        agency: Option<String>,
    },
    /// Revoke a key, by its id or its visible start; it stops working at once.
    Revoke { key: String },
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Send an event again (a dead-lettered one, or one delivered).
    Redeliver { event_id: String },
    /// List the endpoints whose deliveries are failing.
    Failing,
}

async fn open() -> Result<Arc<dyn PaymentStore>, StoreError> {
    crate::storage::connect(&Config::database_url_from_env()).await
}

fn test_mode() -> Result<bool, AdminError> {
    Config::test_mode_from_env().map_err(|e| AdminError::Invalid(e.to_string()))
}

fn finish(result: Result<(), AdminError>, command: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(AdminError::Store(error)) => {
            eprintln!("tolem {command}: {error}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("tolem {command}: {error}");
            ExitCode::from(2)
        }
    }
}

pub async fn agency(command: AgencyCommand) -> ExitCode {
    let result = async {
        let store = open().await?;
        let now = chrono::Utc::now();
        match command {
            AgencyCommand::Create {
                name,
                services,
                webhook_url,
            } => {
                let new = NewAgency {
                    name: &name,
                    services: &services,
                    webhook_url: webhook_url.as_deref(),
                };
                let (agency, secret) =
                    admin::create_agency(store.as_ref(), &new, test_mode()?, now).await?;
                println!("agency {}", agency.id);
                if let Some(secret) = secret {
                    println!("webhook signing secret (shown once): {secret}");
                }
            }
            AgencyCommand::List => {
                for agency in store.agencies().await? {
                    let services: Vec<_> = agency.services.iter().map(|s| s.as_str()).collect();
                    let url = agency.webhook.as_ref().map_or("-", |w| w.url.as_str());
                    println!(
                        "{}\t{}\t{}\t{url}",
                        agency.id,
                        agency.name,
                        services.join(",")
                    );
                }
            }
            AgencyCommand::SetWebhook { agency, url } => {
                let secret =
                    admin::set_webhook_url(store.as_ref(), &agency, &url, test_mode()?).await?;
                println!("webhook URL of {agency} set");
                if let Some(secret) = secret {
                    println!("webhook signing secret (shown once): {secret}");
                }
            }
            AgencyCommand::RotateSecret {
                agency,
                overlap_hours,
            } => {
                let overlap = chrono::Duration::hours(overlap_hours.max(0));
                let secret = admin::rotate_secret(store.as_ref(), &agency, overlap, now).await?;
                println!("new webhook signing secret (shown once): {secret}");
                println!(
                    "the old secret signs beside it for {} hours",
                    overlap.num_hours()
                );
            }
        }
        Ok(())
    };
    finish(result.await, "agency")
}

pub async fn api_key(command: KeyCommand) -> ExitCode {
    let result = async {
        let store = open().await?;
        let now = chrono::Utc::now();
        match command {
            KeyCommand::Create { agency, label } => {
                let mode = KeyMode::of_server(test_mode()?);
                let (record, key) =
                    admin::create_key(store.as_ref(), &agency, label.as_deref(), mode, now).await?;
                println!("key {} for {}", record.id, record.agency_id);
                println!("API key (shown once, only its hash is kept): {key}");
            }
            KeyCommand::List { agency } => {
                for key in store.api_keys(agency.as_deref()).await? {
                    let state = key.revoked_at.map_or("live".to_owned(), |at| {
                        format!("revoked {}", at.to_rfc3339())
                    });
                    let label = key.label.as_deref().unwrap_or("-");
                    println!(
                        "{}\t{}…\t{}\t{label}\t{state}",
                        key.id, key.prefix, key.agency_id
                    );
                }
            }
            KeyCommand::Revoke { key } => {
                if !admin::revoke_key(store.as_ref(), &key, now).await? {
                    return Err(AdminError::Invalid(format!("no live key {key}")));
                }
                println!("key {key} revoked");
            }
        }
        Ok(())
    };
    finish(result.await, "api-key")
}

pub async fn webhook(command: WebhookCommand) -> ExitCode {
    let result = async {
        let store = open().await?;
        match command {
            WebhookCommand::Redeliver { event_id } => {
                let now = store.database_now().await?;
                if !store.redeliver(&event_id, now).await? {
                    return Err(AdminError::Invalid(format!(
                        "no event {event_id} of an agency with a webhook endpoint, \
                         or it is being delivered now"
                    )));
                }
                println!("event {event_id} will be sent again");
            }
            WebhookCommand::Failing => {
                let failing = WebhookStore::failing_endpoints(store.as_ref()).await?;
                if failing.is_empty() {
                    println!("no endpoint is failing");
                }
                for f in failing {
                    let oldest = f
                        .oldest_pending
                        .map_or("-".to_owned(), |at| at.to_rfc3339());
                    println!(
                        "{}\t{}\t{}\tretrying {}\tdead {}\toldest pending {oldest}",
                        f.agency_id,
                        f.agency_name,
                        f.url.as_deref().unwrap_or("-"),
                        f.retrying,
                        f.dead
                    );
                }
            }
        }
        Ok(())
    };
    finish(result.await, "webhook")
}
