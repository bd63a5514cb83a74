//! The site's static files under content-hashed names: the release step
//! (`server manifest`) copies `tolem.js` to `tolem.<hash>.js`, and likewise
//! the WebAssembly and the stylesheet; pages name the copies, and a browser
//! keeps a file with such a name for a year without asking again
//! (`Cache-Control: immutable`): a new release is a new name. Files under
//! their plain names are revalidated on each use.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha384};
use std::path::Path;

/// How long a browser keeps a hashed file: a year, never asking.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Hex digits of the hash in a name: 64 bits tell releases apart.
const HASH_DIGITS: usize = 16;

/// `tolem.js` with these bytes → `tolem.0123456789abcdef.js`.
pub fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(Sha384::digest(bytes));
    let hash = &digest[..HASH_DIGITS];
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
        None => format!("{name}.{hash}"),
    }
}

/// Whether a file's name carries its hash (`stem.<16 hex>.ext`, perhaps
/// followed by `.br` or `.gz`).
pub fn is_hashed(name: &str) -> bool {
    let name = name
        .strip_suffix(".br")
        .or_else(|| name.strip_suffix(".gz"))
        .unwrap_or(name);
    let mut parts = name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == HASH_DIGITS
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Writes the hashed copy of `pkg/name` and removes the copies of earlier
/// builds (with their compressed versions); returns the copy's name.
pub fn copy_hashed(pkg: &Path, name: &str, bytes: &[u8]) -> std::io::Result<String> {
    let hashed = hashed_name(name, bytes);
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    for entry in std::fs::read_dir(pkg)? {
        let Ok(old) = entry?.file_name().into_string() else {
            continue;
        };
        let plain = old
            .strip_suffix(".br")
            .or_else(|| old.strip_suffix(".gz"))
            .unwrap_or(&old);
        let same_file = plain.starts_with(&format!("{stem}."))
            && plain.ends_with(&format!(".{extension}"))
            && plain.len() == name.len() + HASH_DIGITS + 1;
        if same_file && is_hashed(&old) && plain != hashed {
            std::fs::remove_file(pkg.join(&old))?;
        }
    }
    std::fs::write(pkg.join(&hashed), bytes)?;
    Ok(hashed)
}

/// Lets browsers keep hashed files for good; the rest are revalidated.
pub async fn cache_hashed(request: Request, next: Next) -> Response {
    let hashed = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(is_hashed);
    let mut response = next.run(request).await;
    if hashed && response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_name_is_recognised_and_a_plain_one_is_not() {
        let name = hashed_name("tolem.js", b"export default 1");
        assert!(
            name.starts_with("tolem.") && name.ends_with(".js"),
            "{name}"
        );
        assert_eq!(name.len(), "tolem.js".len() + 17);
        assert_ne!(name, hashed_name("tolem.js", b"export default 2"));
        assert!(is_hashed(&name));
        assert!(is_hashed(&format!("{name}.br")));
        assert!(!is_hashed("tolem.js"));
        assert!(!is_hashed("tolem.js.br"));
        assert!(!is_hashed("tolem_bg.wasm"));
        assert!(!is_hashed("favicon.svg"));
        assert!(!is_hashed(".0123456789abcdef.js"));
        assert!(!is_hashed("tolem.0123456789ABCDEF.js"));
    }

    #[test]
    fn a_new_build_replaces_the_old_copy_and_its_compressed_versions() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let old = copy_hashed(dir.path(), "tolem.js", b"old").expect("old copy");
        std::fs::write(dir.path().join(format!("{old}.br")), b"x").expect("br");
        let other = copy_hashed(dir.path(), "tolem.css", b"body{}").expect("css");
        let new = copy_hashed(dir.path(), "tolem.js", b"new").expect("new copy");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|e| e.expect("entry").file_name().into_string().expect("name"))
            .collect();
        left.sort();
        let mut expected = vec![other, new.clone()];
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(std::fs::read(dir.path().join(new)).expect("read"), b"new");
    }
}
