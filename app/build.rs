//! Generates, from `locales/*.json` at compile time:
//! - the `i18n` module (leptos_i18n), so a key missing from one language, or
//!   a typo in a key, fails the build;
//! - `messages.rs`: the [`Msg`] enum, one variant per message without
//!   placeholders, for messages chosen at run time (errors, statuses): code
//!   names a `Msg`, never a string, so a message used in code but missing
//!   from the files fails the build too.

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
    std::fs::write(out_dir.join("messages.rs"), messages_enum()?)?;
    Ok(())
}

/// The keys of the Russian file (the default language), in file order.
fn russian_keys() -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let text = std::fs::read_to_string("locales/ru.json")?;
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let object = value
        .as_object()
        .ok_or("locales/ru.json is not an object")?;
    Ok(object
        .iter()
        .map(|(key, text)| (key.clone(), text.as_str().unwrap_or_default().to_string()))
        .collect())
}

fn camel(key: &str) -> String {
    key.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn messages_enum() -> Result<String, Box<dyn Error>> {
    let keys: Vec<String> = russian_keys()?
        .into_iter()
        .filter(|(_, text)| !text.contains("{{"))
        .map(|(key, _)| key)
        .collect();
    let mut out = String::from(
        "/// A message without placeholders, named by its key in `locales/*.json`.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub enum Msg {\n",
    );
    for key in &keys {
        out += &format!("    {},\n", camel(key));
    }
    out += "}\n\nimpl Msg {\n";
    out += &format!("    pub const ALL: [Msg; {}] = [\n", keys.len());
    for key in &keys {
        out += &format!("        Msg::{},\n", camel(key));
    }
    out += "    ];\n\n    /// Its key in the translation files.\n";
    out += "    pub fn key(self) -> &'static str {\n        match self {\n";
    for key in &keys {
        out += &format!("            Msg::{} => \"{key}\",\n", camel(key));
    }
    out += "        }\n    }\n\n    /// The message a key names, if there is one.\n";
    out += "    pub fn from_key(key: &str) -> Option<Msg> {\n        match key {\n";
    for key in &keys {
        out += &format!("            \"{key}\" => Some(Msg::{}),\n", camel(key));
    }
    out += "            _ => None,\n        }\n    }\n\n    /// Its text in `locale`.\n";
    out += "    pub fn text(self, locale: Locale) -> &'static str {\n        match self {\n";
    for key in &keys {
        out += &format!(
            "            Msg::{} => td_string!(locale, {key}),\n",
            camel(key)
        );
    }
    out += "        }\n    }\n}\n";
    println!("cargo::rerun-if-changed=locales/ru.json");
    Ok(out)
}
