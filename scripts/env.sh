#!/usr/bin/env bash
# Environment shared by every build, so cargo-leptos, cargo test and clippy
# reuse one another's artifacts in target/ instead of rebuilding Leptos.
export LEPTOS_OUTPUT_NAME=tolem
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
