//! The tolem server: configuration, storage, the card processor, and the
//! HTTP application that serves the Leptos pages.

pub mod abuse;
pub mod agencies;
pub mod api;
pub mod backoffice;
pub mod clock;
pub mod config;
pub mod demo;
pub mod documents;
pub mod feedback;
pub mod monitoring;
pub mod page_integrity;
pub mod payments;
pub mod processor;
pub mod pseudonyms;
pub mod receipts;
pub mod staff;
pub mod storage;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod web;
pub mod webhooks;

use acquirer::engine::Engine;
use app::services::Clock;
use app::services::{SiteSettings, SupportContacts};
use axum::extract::ConnectInfo;
use config::Config;
use documents::Documents;
use feedback::FeedbackDesk;
use leptos::prelude::LeptosOptions;
use payments::{Payments, Timings, reconcile_forever};
use std::sync::Arc;
use std::time::Duration;
use storage::StoreError;
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};

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
    /// The webhook deliverer (tests run its rounds themselves).
    pub courier: Arc<webhooks::Courier>,
    /// Where `/metrics` is served, when `TOLEM_METRICS_ADDR` asked for it.
    pub metrics_addr: Option<std::net::SocketAddr>,
    reconcile_every: Duration,
    documents_refresh: Duration,
    /// How long a client may take to send a request's headers.
    header_read_timeout: Duration,
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
            if config.test_mode && demo::seed_agency(store.as_ref(), clock()).await? {
                tracing::info!(
                    agency = demo::DEMO_AGENCY,
                    key = demo::DEMO_KEY,
                    "demo agency and its test API key created"
                );
            }
            if config.test_mode && demo::seed_staff(store.as_ref(), clock()).await? {
                tracing::info!(
                    email = demo::DEMO_STAFF_EMAIL,
                    totp_secret = demo::DEMO_STAFF_TOTP,
                    "demo back-office admin created (/admin)"
                );
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

        let processor::Configured {
            processor,
            sandbox,
            public_url,
            notification_key,
            last_answer,
        } = processor::configured(&config, local_addr).map_err(StartError::Config)?;
        let brand_table = domain::BrandTable::with_elcart_prefix(&config.elcart_prefix)
            .map_err(|e| StartError::Config(format!("TOLEM_ELCART_PREFIX: {e:?}")))?;
        let documents = Documents::load(store.clone(), clock.clone()).await?;
        let feedback =
            FeedbackDesk::open(store.clone(), clock.clone(), config.feedback_key.as_deref())
                .await?;
        let guard =
            abuse::velocity::Guard::open(store.clone(), clock.clone(), config.abuse.clone())
                .await?;
        let payments = Arc::new_cyclic(|me| Payments {
            guard,
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
        let site_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}"));
        let wake = Arc::new(tokio::sync::Notify::new());
        let desk = Arc::new(agencies::Desk {
            store: payments.store.clone(),
            clock: clock.clone(),
            settings: config.api.clone(),
            test_mode: config.test_mode,
            site_url: site_url.clone(),
            wake: wake.clone(),
        });
        let courier = webhooks::Courier::new(
            payments.store.clone(),
            clock.clone(),
            config.api.webhooks.clone(),
            config.test_mode,
            site_url.clone(),
            wake,
        )
        .map_err(|e| StartError::Config(format!("webhook client: {e}")))?;
        let receipts = Arc::new(receipts::Receipts {
            store: payments.store.clone(),
            documents: documents.clone(),
            signer: receipts::ReceiptSigner::open(
                payments.store.as_ref(),
                &clock,
                config.receipt_key.as_deref(),
            )
            .await?,
        });
        let integrity = page_integrity::PageIntegrity::open(
            std::path::Path::new(&config.site_root),
            payments.store.clone(),
            clock.clone(),
        );
        let settings = Arc::new(SiteSettings {
            contacts: SupportContacts {
                email: config.support_email.clone(),
                phones: config.support_phones.clone(),
            },
            brand_table,
            elcart_prefix: config.elcart_prefix.clone(),
            test_mode: config.test_mode,
            site_url: site_url.clone(),
            assets: integrity.assets(),
            clock,
        });
        let staff_sessions = backoffice::sessions::StaffSessions::open(&config.database_url)
            .await
            .map_err(storage::StoreError::from)?;
        staff_sessions.sweep(std::time::Duration::from_secs(15 * 60));
        let leptos_options = LeptosOptions::builder()
            .output_name("tolem")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .build();
        let router = web::router(
            web::AppState::new(web::Site {
                leptos_options,
                payments: payments.clone(),
                receipts,
                documents,
                feedback: Arc::new(feedback),
                settings,
                sandbox: sandbox.clone(),
                notification_key: web::NotificationKey(notification_key.map(Arc::new)),
                behind_proxy: config.behind_proxy,
                lookups: abuse::lookups::LookupThrottle::new(&config.abuse),
                integrity,
                acquirer: web::AcquirerLink(last_answer),
                copies: web::PageCopies::new(
                    payments.store.clone(),
                    payments.clock.clone(),
                    config.page_copies,
                ),
                backoffice: backoffice::BackOffice {
                    desk: Arc::new(staff::StaffDesk::new(
                        payments.store.clone(),
                        payments.clock.clone(),
                        config.staff.clone(),
                    )),
                    store: payments.store.clone(),
                    payments: payments.clone(),
                    sessions: staff_sessions,
                    test_mode: config.test_mode,
                    secure_cookies: config
                        .public_url
                        .as_deref()
                        .is_some_and(|url| url.starts_with("https://")),
                },
                api: api::ApiState {
                    desk,
                    limits: Arc::new(api::RateLimits::new(
                        config.api.posts_per_second,
                        config.api.gets_per_second,
                    )),
                },
            }),
            &config.http,
        );
        let metrics_addr = match config.metrics_addr {
            Some(addr) => {
                Some(monitoring::serve(addr, payments.store.clone(), payments.clock.clone()).await?)
            }
            None => None,
        };
        Ok(Application {
            metrics_addr,
            listener,
            router,
            payments,
            sandbox,
            courier: Arc::new(courier),
            reconcile_every: config.reconcile_every,
            documents_refresh: config.documents_refresh,
            header_read_timeout: config.http.header_read_timeout,
        })
    }

    /// The site's routes, to answer requests without a socket (fuzzing).
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until a shutdown signal. The reconciliation worker runs
    /// beside it, first at once: a crash mid-payment is settled at start-up.
    ///
    /// Each connection is served by hyper's HTTP/1.1 server with a
    /// header-read timeout: a client that connects and sends nothing, or
    /// part of its headers, is disconnected when it runs out, and so is an
    /// idle keep-alive connection. (axum's `serve` cannot set it; HTTP/2
    /// without TLS, which no browser speaks and the TLS proxy in front does
    /// not need, would have no such bound and is not offered.)
    pub async fn run(self) -> std::io::Result<()> {
        let worker = tokio::spawn(reconcile_forever(
            self.payments.clone(),
            self.reconcile_every,
        ));
        let documents = self.payments.documents.watch(self.documents_refresh);
        let courier = tokio::spawn(self.courier.clone().run());
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        let connections = hyper_util::server::graceful::GracefulShutdown::new();
        let mut listener = self.listener;
        let mut stopping = std::pin::pin!(shutdown_signal());
        loop {
            let (stream, client) = tokio::select! {
                // axum's accept retries what can be retried and waits out
                // a lack of file descriptors.
                accepted = axum::serve::Listener::accept(&mut listener) => accepted,
                () = &mut stopping => break,
            };
            // What `into_make_service_with_connect_info` gives each
            // connection: its client's address, for the feedback limit.
            let service = axum::Extension(ConnectInfo(client))
                .layer(self.router.clone())
                .map_request(|request: http::Request<hyper::body::Incoming>| {
                    request.map(axum::body::Body::new)
                });
            let connection = http.serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            let connection = connections.watch(connection);
            tokio::spawn(async move {
                // A client that hung up or ran out of time: nothing to do.
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "connection ended");
                }
            });
        }
        // No new connections; those open finish the request under way
        // (idle ones close at once) for a few seconds, then the server
        // stops whatever is still open (a client that never reads, say).
        drop(listener);
        tokio::select! {
            () = connections.shutdown() => {}
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::warn!("stopping with requests still open after the grace period");
            }
        }
        worker.abort();
        documents.abort();
        courier.abort();
        Ok(())
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
