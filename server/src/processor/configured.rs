//! The processor the configuration names, built once at start-up: the
//! in-process sandbox (with its engine, whose challenge pages the site
//! serves) or the gateway client; either way wrapped so that its calls
//! are measured and its last answer is known ([`crate::monitoring`]).

use super::{ACS_PATH, CardProcessor, GatewayProcessor, SandboxProcessor};
use crate::config::{Config, ProcessorKind};
use crate::monitoring::acquirer::{LastAnswer, Metered};
use acquirer::client::ClientConfig;
use acquirer::engine::{Engine, EngineConfig};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;

pub struct Configured {
    pub processor: Arc<dyn CardProcessor>,
    /// The in-process sandbox acquirer, when it is the processor.
    pub sandbox: Option<Arc<Engine>>,
    /// Prefix of the URL the issuer's challenge returns the browser to.
    pub public_url: String,
    /// The key the acquirer's notifications are signed with (gateway).
    pub notification_key: Option<Vec<u8>>,
    /// When an acquirer over the network last answered (gateway only:
    /// the sandbox in this process always does).
    pub last_answer: Option<Arc<LastAnswer>>,
}

pub fn configured(config: &Config, local_addr: SocketAddr) -> Result<Configured, String> {
    match &config.processor {
        ProcessorKind::Sandbox => {
            let public_url = config.public_url.clone().unwrap_or_default();
            let engine = Engine::new(EngineConfig::new(format!("{public_url}{ACS_PATH}")));
            let metered = Metered::new(Arc::new(SandboxProcessor::new(engine.clone())));
            Ok(Configured {
                processor: Arc::new(metered),
                sandbox: Some(engine),
                public_url,
                notification_key: None,
                last_answer: None,
            })
        }
        ProcessorKind::Gateway(gateway) => {
            // The key leaves its secret type here, for the signing client
            // and the notification check, neither of which prints it.
            let key = gateway.secret.expose_secret().as_bytes();
            let client = ClientConfig {
                connect_timeout: gateway.connect_timeout,
                request_timeout: gateway.request_timeout,
                ..ClientConfig::new(gateway.url.clone(), key)
            };
            let processor = GatewayProcessor::new(client).map_err(|e| e.to_string())?;
            let metered = Metered::new(Arc::new(processor));
            Ok(Configured {
                last_answer: Some(metered.last_answer()),
                processor: Arc::new(metered),
                sandbox: None,
                public_url: config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{local_addr}")),
                notification_key: Some(key.to_vec()),
            })
        }
    }
}
