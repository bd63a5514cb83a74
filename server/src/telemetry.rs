//! Logging. Log lines carry payment ids, codes and outcomes, never card data:
//! the card types have no `Display`, and their `Debug` is masked. Lines are
//! text by default; `TOLEM_LOG_FORMAT=json` makes them one JSON object
//! each, with the request's span (its id, method and path) in every line
//! logged while it is served, for a log collector.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("TOLEM_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("TOLEM_LOG_FORMAT").is_ok_and(|format| format == "json");
    let _ = if json {
        json_lines(std::io::stderr)
            .with_env_filter(filter)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .try_init()
    };
}

/// The JSON format: one object a line, the request's span in each.
pub fn json_lines<W>(
    writer: W,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    tracing::level_filters::LevelFilter,
    W,
>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer)
}
