//! The tolem server: configuration, storage, the card processor, and the
//! HTTP application that serves the Leptos pages.

pub mod config;
pub mod demo;
pub mod documents;
pub mod processor;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod web;

use app::backend::{Backend, SupportContacts};
use config::{Config, ProcessorKind};
use leptos::prelude::LeptosOptions;
use processor::{CardProcessor, SandboxProcessor};
use service::{Clock, Payments};
use std::sync::Arc;
use storage::{PaymentStore, SqliteStore, StoreError};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// The sandbox processor, when it is the configured one (tests read its counters).
    pub sandbox: Option<Arc<SandboxProcessor>>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        Self::build_with_clock(config, Arc::new(chrono::Utc::now)).await
    }

    pub async fn build_with_clock(config: Config, clock: Clock) -> Result<Application, StartError> {
        let store: Arc<dyn PaymentStore> =
            Arc::new(SqliteStore::connect(&config.database_url).await?);
        if config.demo_data {
            let seeded = demo::seed(store.as_ref(), clock()).await?;
            if seeded > 0 {
                tracing::info!(seeded, "demo payment requests seeded");
            }
        }
        let (processor, sandbox): (Arc<dyn CardProcessor>, _) = match config.processor {
            ProcessorKind::Sandbox => {
                let sandbox = Arc::new(SandboxProcessor::new());
                (sandbox.clone(), Some(sandbox))
            }
        };
        let brand_table = domain::BrandTable::with_elcart_prefix(&config.elcart_prefix)
            .map_err(|e| StartError::Config(format!("TOLEM_ELCART_PREFIX: {e:?}")))?;
        let payments = Payments {
            store,
            processor,
            brand_table,
            elcart_prefix: config.elcart_prefix.clone(),
            contacts: SupportContacts {
                email: config.support_email.clone(),
                phones: config.support_phones.clone(),
            },
            privacy_policy: documents::privacy_policy(),
            clock,
        };
        let listener = TcpListener::bind(config.site_addr).await?;
        let leptos_options = LeptosOptions::builder()
            .output_name("tolem")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();
        let router = web::router(web::AppState {
            leptos_options,
            backend: Backend(Arc::new(payments)),
        });
        Ok(Application {
            listener,
            router,
            sandbox,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
