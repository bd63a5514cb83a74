//! Generates the `i18n` module from `locales/*.json` at compile time, so a key
//! missing from one language, or a typo in a key, fails the build.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    // Translations are rendered on the server only; the WebAssembly islands get
    // their strings as props, so the hydrate build needs no generated module.
    if std::env::var_os("CARGO_FEATURE_SSR").is_none() {
        return Ok(());
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let config = Config::new("ru")?
        .add_locale("ky")?
        .add_locale("en")?
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out_dir.join("i18n"))?;
    Ok(())
}
