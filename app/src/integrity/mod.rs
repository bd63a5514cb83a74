//! The site's own scripts and stylesheet pinned to the hashes made with the
//! release (Subresource Integrity, PCI DSS 6.4.3): the payment page names
//! its module in an import map with its hash, and its loader imports the
//! module and fetches the WebAssembly with its hash once the page is idle
//! (neither is preloaded: on a slow network a preload holds back the first
//! paint, and the form works without them), so a browser runs nothing of ours whose
//! bytes differ from the release's. Without a manifest (a build that did
//! not make one) no script is offered at all: every page works without
//! JavaScript, and a script nobody vouched for is not served.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The scripts Leptos writes at the end of every page it renders whole:
/// its record of the data loaded on the server, empty on the payment page
/// (the card form's island reads its data from the page). The manifest lists
/// them; `server check-page` notices if a Leptos upgrade changes them.
pub const LEPTOS_INLINE_SCRIPTS: [&str; 2] = [
    "__RESOLVED_RESOURCES=[];__SERIALIZED_ERRORS=[];__PENDING_RESOURCES=[];__RESOURCE_RESOLVERS=[];",
    "__INCOMPLETE_CHUNKS=[];",
];

/// The one script of the 3-D Secure step (`/payment/{id}`): sends the
/// browser on to the issuer's challenge, as its Continue button does
/// without JavaScript.
pub const THREE_DS_SUBMIT: &str = "document.getElementById('three-ds').submit()";

/// A file of the site and its hash (`sha384-<base64>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    pub path: String,
    pub integrity: String,
}

/// The release's module, WebAssembly and stylesheet with their hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedAssets {
    pub module: Pinned,
    pub wasm: Pinned,
    pub stylesheet: Pinned,
}

impl PinnedAssets {
    /// The import map that gives the module its hash.
    pub fn import_map(&self) -> String {
        serde_json::json!({ "integrity": { &self.module.path: &self.module.integrity } })
            .to_string()
    }

    /// The inline module that starts the islands.
    pub fn loader(&self) -> String {
        let arguments =
            serde_json::json!([&self.module.path, &self.wasm.path, &self.wasm.integrity])
                .to_string();
        let arguments = arguments.trim_start_matches('[').trim_end_matches(']');
        format!("{}({arguments});", include_str!("loader.js").trim_end())
    }
}

/// The stylesheet, pinned when the release's hashes are known.
pub fn stylesheet(assets: Option<&PinnedAssets>) -> impl IntoView + use<> {
    match assets {
        Some(assets) => view! {
            <link rel="stylesheet" href=assets.stylesheet.path.clone()
                integrity=assets.stylesheet.integrity.clone() crossorigin="anonymous"/>
        }
        .into_any(),
        None => view! { <link rel="stylesheet" href="/pkg/tolem.css"/> }.into_any(),
    }
}

/// What loads the islands of a page: the import map and the loader, each script with this response's nonce.
pub fn scripts(assets: &PinnedAssets) -> impl IntoView + use<> {
    let nonce = use_nonce();
    view! {
        <script type="importmap" nonce=nonce.clone()>{assets.import_map()}</script>
        <script type="module" nonce=nonce>{assets.loader()}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets() -> PinnedAssets {
        let pinned = |path: &str, hash: &str| Pinned {
            path: path.into(),
            integrity: format!("sha384-{hash}"),
        };
        PinnedAssets {
            module: pinned("/pkg/tolem.js", "AAA"),
            wasm: pinned("/pkg/tolem.wasm", "BBB"),
            stylesheet: pinned("/pkg/tolem.css", "CCC"),
        }
    }

    #[test]
    fn the_loader_fetches_the_webassembly_with_its_hash() {
        let assets = assets();
        assert_eq!(
            assets.import_map(),
            r#"{"integrity":{"/pkg/tolem.js":"sha384-AAA"}}"#
        );
        let loader = assets.loader();
        assert!(
            loader.ends_with(r#"})("/pkg/tolem.js","/pkg/tolem.wasm","sha384-BBB");"#),
            "{loader}"
        );
        assert!(loader.contains("new Request(wasm, { integrity: wasmIntegrity })"));
    }
}
