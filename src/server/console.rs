//! The Licensing Manager console: a page, its script, its style sheet and
//! one text catalogue per language, all inside the binary, served on the
//! HTTPS port at `/` and `/assets/…` (docs/console.md).
//!
//! The console holds no state of its own and has no route of its own for
//! licensing: the page's script reads and changes everything through the
//! web services (`/api/v1/…`) as the browser's logged-in session, so that
//! it can do exactly what its account's role allows and nothing more.
//! Every answer carries a strict Content-Security-Policy (scripts and
//! styles from these assets only, nothing inline, no framing), so that
//! text from license files or user names can never run as script.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the console's answers allow the browser: only its own assets and
/// the web services of the same origin, never a frame around it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The languages of the console's own text, as `console_language` names
/// them; each has a catalogue `/assets/i18n/<language>.json`.
pub const LANGUAGES: [&str; 6] = ["en", "fr", "de", "es", "ja", "zh-CN"];

/// One file of the console: its path under `/assets/`, type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JSON: &str = "application/json; charset=utf-8";

/// The assets, each from src/server/console/.
static ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("console/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("console/app.css"),
    },
    Asset {
        name: "i18n/en.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/en.json"),
    },
    Asset {
        name: "i18n/fr.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/fr.json"),
    },
    Asset {
        name: "i18n/de.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/de.json"),
    },
    Asset {
        name: "i18n/es.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/es.json"),
    },
    Asset {
        name: "i18n/ja.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/ja.json"),
    },
    Asset {
        name: "i18n/zh-CN.json",
        content_type: JSON,
        body: include_bytes!("console/i18n/zh-CN.json"),
    },
];

/// The page: the same for every route of the console (hash routes).
const INDEX: &[u8] = include_bytes!("console/index.html");

/// The console's routes: `/` and `/assets/…`.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*name}", get(asset))
}

async fn index() -> Response {
    served("text/html; charset=utf-8", INDEX)
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => served(a.content_type, a.body),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// An asset with the headers every console answer carries.
fn served(content_type: &'static str, body: &'static [u8]) -> Response {
    let mut answer = body.into_response();
    let headers = answer.headers_mut();
    let pairs = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // The page's POSTs must carry its origin for the login guard
        // (no-referrer would send `Origin: null`); no other site is told
        // the console's address.
        (header::REFERRER_POLICY, "same-origin"),
        // A new lmgrd's console is used at once, never a cached older one.
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_catalogue_with_every_key_of_the_english_one() {
        let english = catalogue("en");
        for language in LANGUAGES {
            let other = catalogue(language);
            for key in english.keys() {
                assert!(other.contains_key(key), "{language} lacks `{key}`");
            }
        }
    }

    #[test]
    fn every_text_the_page_names_is_in_the_english_catalogue() {
        let english = catalogue("en");
        let page = std::str::from_utf8(INDEX).unwrap();
        for part in page.split("data-i18n=\"").skip(1) {
            let key = part.split('"').next().unwrap();
            assert!(english.contains_key(key), "index.html names `{key}`");
        }
    }

    fn catalogue(language: &str) -> serde_json::Map<String, serde_json::Value> {
        let name = format!("i18n/{language}.json");
        let asset = ASSETS.iter().find(|a| a.name == name).unwrap();
        serde_json::from_slice(asset.body).unwrap()
    }
}
