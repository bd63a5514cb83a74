//! The WebAssembly entry point: wakes up the interactive islands of a
//! server-rendered page. Everything else on the page stays plain HTML.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    // Referencing the app crate keeps its island exports linked into the module.
    app::islands_linked();
    leptos::mount::hydrate_islands();
}
