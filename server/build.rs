//! `sqlx::migrate!` embeds the migrations when the crate is compiled; this
//! makes a new or changed migration file recompile it (as sqlx advises).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
