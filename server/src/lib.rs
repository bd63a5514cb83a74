//! The tolem server: configuration, storage, the card processor, and the
//! HTTP application that serves the Leptos pages.

pub mod clock;
pub mod config;
pub mod demo;
pub mod documents;
pub mod feedback;
pub mod payments;
pub mod processor;
pub mod storage;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod web;

use acquirer::client::ClientConfig;
use acquirer::engine::{Engine, EngineConfig};
use app::services::Clock;
use app::services::{SiteSettings, SupportContacts};
use config::{Config, ProcessorKind};
use documents::Documents;
use feedback::FeedbackDesk;
use leptos::prelude::LeptosOptions;
use payments::{Payments, Timings, reconcile_forever};
use processor::{CardProcessor, GatewayProcessor, SandboxProcessor};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use storage::StoreError;
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
    /// The payment service (tests drive reconciliation through it).
    pub payments: Arc<Payments>,
    /// The in-process sandbox acquirer, when it is the configured processor
    /// (tests read its ledger and counters).
    pub sandbox: Option<Arc<Engine>>,
    reconcile_every: Duration,
    documents_refresh: Duration,
}

fn duration(std: Duration) -> chrono::Duration {
    chrono::Duration::from_std(std).unwrap_or(chrono::Duration::MAX)
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        Self::build_with_clock(config, Arc::new(chrono::Utc::now)).await
    }

    pub async fn build_with_clock(config: Config, clock: Clock) -> Result<Application, StartError> {
        let store = storage::connect_with(&config.database_url, &config.store).await?;
        tracing::info!(backend = store.backend(), "storage ready");
        let clock = clock::database_clock(store.clone(), clock).await;
        if config.demo_data {
            let seeded = demo::seed(store.as_ref(), clock()).await?;
            if seeded > 0 {
                tracing::info!(seeded, "demo payment requests seeded");
            }
        }
        let seeded = documents::seed(store.as_ref(), clock()).await?;
        if seeded > 0 {
            tracing::info!(seeded, "document editions seeded");
        }
        if config.test_mode {
            tracing::warn!("test mode: no real money is taken, and every page says so");
        }
        let listener = listen(config.site_addr)?;
        let local_addr = listener.local_addr()?;

        let (processor, sandbox, public_url, notification_key): (Arc<dyn CardProcessor>, _, _, _) =
            match &config.processor {
                ProcessorKind::Sandbox => {
                    let public_url = config.public_url.clone().unwrap_or_default();
                    let engine = Engine::new(EngineConfig::new(format!(
                        "{public_url}{}",
                        processor::ACS_PATH
                    )));
                    (
                        Arc::new(SandboxProcessor::new(engine.clone())),
                        Some(engine),
                        public_url,
                        None,
                    )
                }
                ProcessorKind::Gateway(gateway) => {
                    // The key leaves its secret type here, for the signing
                    // client and the notification check, neither of which
                    // prints it.
                    let key = gateway.secret.expose_secret().as_bytes();
                    let client = ClientConfig {
                        connect_timeout: gateway.connect_timeout,
                        request_timeout: gateway.request_timeout,
                        ..ClientConfig::new(gateway.url.clone(), key)
                    };
                    let processor = GatewayProcessor::new(client)
                        .map_err(|e| StartError::Config(e.to_string()))?;
                    (
                        Arc::new(processor),
                        None,
                        config
                            .public_url
                            .clone()
                            .unwrap_or_else(|| format!("http://{local_addr}")),
                        Some(key.to_vec()),
                    )
                }
            };
        let brand_table = domain::BrandTable::with_elcart_prefix(&config.elcart_prefix)
            .map_err(|e| StartError::Config(format!("TOLEM_ELCART_PREFIX: {e:?}")))?;
        let documents = Documents::load(store.clone(), clock.clone()).await?;
        let feedback =
            FeedbackDesk::open(store.clone(), clock.clone(), config.feedback_key.as_deref())
                .await?;
        let payments = Arc::new_cyclic(|me| Payments {
            me: me.clone(),
            documents: documents.clone(),
            store,
            processor,
            clock: clock.clone(),
            public_url,
            timings: Timings {
                stale_after: duration(config.stale_after),
                abandon_after: duration(config.abandon_after),
                acquirer_window: duration(config.acquirer_window),
                ..Timings::default()
            },
        });
        let settings = Arc::new(SiteSettings {
            contacts: SupportContacts {
                email: config.support_email.clone(),
                phones: config.support_phones.clone(),
            },
            brand_table,
            elcart_prefix: config.elcart_prefix.clone(),
            test_mode: config.test_mode,
            clock,
        });
        let leptos_options = LeptosOptions::builder()
            .output_name("tolem")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();
        let router = web::router(web::AppState {
            leptos_options,
            payments: payments.clone(),
            documents,
            feedback: Arc::new(feedback),
            settings,
            sandbox: sandbox.clone(),
            notification_key: web::NotificationKey(notification_key.map(Arc::new)),
            behind_proxy: config.behind_proxy,
        });
        Ok(Application {
            listener,
            router,
            payments,
            sandbox,
            reconcile_every: config.reconcile_every,
            documents_refresh: config.documents_refresh,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until a shutdown signal. The reconciliation worker runs
    /// beside it, first at once: a crash mid-payment is settled at start-up.
    pub async fn run(self) -> std::io::Result<()> {
        let worker = tokio::spawn(reconcile_forever(
            self.payments.clone(),
            self.reconcile_every,
        ));
        let documents = self.payments.documents.watch(self.documents_refresh);
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let serve = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping.send(true);
        });
        // Requests under way get a few seconds to finish; then the server
        // stops whatever is still open (a client that never reads, say).
        let grace = async move {
            let mut stop = stop;
            let _ = stop.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            tracing::warn!("stopping with requests still open after the grace period");
        };
        let served = tokio::select! {
            served = serve => served,
            () = grace => Ok(()),
        };
        worker.abort();
        documents.abort();
        served
    }
}

/// Connections the kernel may hold for us before we accept them. Phones on
/// a bad network reconnect in bursts; with the usual 128 a burst of a few
/// hundred loses connections and their clients wait a second to retry.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How long requests under way may take to finish once a shutdown began.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
