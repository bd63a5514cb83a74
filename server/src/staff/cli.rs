//! The operator's commands for staff accounts (`server user …`): each opens
//! the database named by `DATABASE_URL`, does one thing as the operator at
//! the console (the audit log says so), and prints what the person must
//! receive: the `otpauth://` URI of their second factor, shown this once.
//! Passwords are read from standard input, never from the command line
//! (where other users and the shell's history would see them).

use super::{AccountError, Actor, StaffDesk};
use crate::config::{Config, StaffSettings};
use crate::storage::StaffChange;
use clap::Subcommand;
use domain::staff::Role;
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a staff account; reads its password (12 characters at least)
    /// from standard input and prints the second factor's enrolment URI.
    Add {
        #[arg(long)]
        email: String,
        /// admin, finance, support or viewer
        #[arg(long)]
        role: Role,
    },
    /// Give an account a new password (from standard input) and a new
    /// second factor, unlock it and end its sessions.
    Reset {
        #[arg(long)]
        email: String,
    },
    /// Change an account's role (its sessions end).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: Role,
    },
    /// Disable an account: it can no longer sign in.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// List the accounts.
    List,
}

fn console() -> Actor {
    Actor {
        id: None,
        email: Some(format!(
            "console:{}",
            std::env::var("USER").unwrap_or_else(|_| "operator".into())
        )),
        address: None,
    }
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn print_credentials(credentials: &super::Credentials) {
    println!("{} {}", credentials.staff.id, credentials.staff.email);
    if let Some(uri) = &credentials.enrolment_uri {
        println!("{uri}");
        eprintln!(
            "Add the URI above to the person's authenticator app (it is shown once); \
             they sign in at /admin/login with the password and its code."
        );
    }
}

async fn run(command: UserCommand) -> Result<(), String> {
    let store = crate::storage::connect(&Config::database_url_from_env())
        .await
        .map_err(|e| e.to_string())?;
    let clock: app::services::Clock = Arc::new(chrono::Utc::now);
    let desk = StaffDesk::new(store.clone(), clock, StaffSettings::default());
    let actor = console();
    let id_of = |email: String| {
        let store = store.clone();
        async move {
            let email = super::normalise_email(&email).ok_or(AccountError::Email)?;
            store
                .staff_by_email(&email)
                .await?
                .map(|s| s.id)
                .ok_or(AccountError::NoAccount)
        }
    };
    let text = |e: AccountError| e.to_string();
    match command {
        UserCommand::Add { email, role } => {
            let password = read_password()?;
            let credentials = desk
                .add(&actor, &email, role, Some(password))
                .await
                .map_err(text)?;
            print_credentials(&credentials);
        }
        UserCommand::Reset { email } => {
            let id = id_of(email).await.map_err(text)?;
            let password = read_password()?;
            let credentials = desk
                .reset(&actor, &id, Some(password))
                .await
                .map_err(text)?;
            print_credentials(&credentials);
        }
        UserCommand::SetRole { email, role } => {
            let id = id_of(email).await.map_err(text)?;
            desk.change(&actor, &id, StaffChange::Role(role))
                .await
                .map_err(text)?;
        }
        UserCommand::Disable { email } => {
            let id = id_of(email).await.map_err(text)?;
            let at = desk.now();
            desk.change(&actor, &id, StaffChange::Disabled(at))
                .await
                .map_err(text)?;
        }
        UserCommand::List => {
            for staff in store.all_staff().await.map_err(|e| e.to_string())? {
                let state = if staff.disabled_at.is_some() {
                    "disabled"
                } else if staff.totp_secret.is_none() {
                    "not enrolled"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{state}", staff.id, staff.email, staff.role);
            }
        }
    }
    Ok(())
}

/// `server user …`.
pub async fn user(command: UserCommand) -> ExitCode {
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tolem user: {error}");
            ExitCode::FAILURE
        }
    }
}
