//! The WebAssembly entry point: wakes up the interactive islands of a
//! server-rendered page. Everything else on the page stays plain HTML.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    // Referencing the app crate keeps its island exports linked into the module.
    app::islands_linked();
    leptos::mount::hydrate_islands();
    // The islands are live now: the card form says so to tests and CSS
    // (`data-ready`). Set here rather than by an effect in the island,
    // which would bring the effect scheduler into the bundle for one flag.
    let form = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.query_selector("form.card-form").ok().flatten());
    if let Some(form) = form {
        let _ = form.set_attribute("data-ready", "true");
    }
}
