//! Starts the tolem server with configuration from the environment.

use server::Application;
use server::config::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tolem: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let application = match Application::build(config).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!(%error, "start-up failed");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(port = application.port(), "listening");
    match application.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
