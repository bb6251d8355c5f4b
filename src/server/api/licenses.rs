//! `POST /api/v1/licenses?name=FILE.lic[&replace=true]`: installing a
//! license file, whose text is the request's body; the protocol's
//! `install_license`, answered with `license_installed` or the refusal
//! and its reason. (`GET` on the same path, the files installed, is a row
//! of [`super::QUERIES`].)

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::Response as HttpResponse;

use super::queries::{Param, checked, optional};
use super::{Api, Peer, authenticate, reply};
use crate::flexnet::Code;
use crate::protocol::{ErrorBody, Request, Response};
use crate::server::handlers::{Conn, answer};
use crate::server::install::MAX_INSTALL_LEN;

/// The path both the listing and the upload are served at.
pub const LICENSES_PATH: &str = "/api/v1/licenses";

/// The upload's parameters.
pub static INSTALL_PARAMS: &[Param] = &[
    Param {
        name: "name",
        description: "The file's name in the license directory: NAME.lic, no directory",
        required: true,
    },
    optional(
        "replace",
        "true: replace a file of that name (else it is refused)",
    ),
];

/// The largest body read; past [`MAX_INSTALL_LEN`] the request is refused
/// with its reason, past this it is cut off.
pub const MAX_UPLOAD_BODY: usize = 2 * MAX_INSTALL_LEN;

/// `POST /api/v1/licenses?name=FILE.lic`: installs the body as FILE.lic.
pub(super) async fn install(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> HttpResponse {
    let caller = match authenticate(&api, &headers, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let request = match install_request(params, &body) {
        Ok(r) => r,
        Err(refusal) => return reply(Response::Error(refusal)),
    };
    reply(answer(request, &api.ctx, &caller, &mut Conn::default()).await)
}

/// The protocol request an upload makes, or why it makes none.
fn install_request(params: HashMap<String, String>, body: &[u8]) -> Result<Request, ErrorBody> {
    let bad = |why: String| ErrorBody::new(Code::BAD_PARAMETER, why);
    let params = checked(INSTALL_PARAMS, params).map_err(bad)?;
    let replace = params.parsed("replace").map_err(bad)?.unwrap_or(false);
    if body.len() > MAX_INSTALL_LEN {
        let reason = format!(
            "the file is {} bytes, more than the {MAX_INSTALL_LEN} bytes a license file installed may have",
            body.len()
        );
        return Err(ErrorBody::new(Code::BAD_DATA, reason));
    }
    let content = String::from_utf8(body.to_vec()).map_err(|e| {
        let reason = format!(
            "the file is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to() + 1
        );
        ErrorBody::new(Code::BAD_FILE_SYNTAX, reason)
    })?;
    Ok(Request::InstallLicense {
        file_name: params.text("name").unwrap_or_default(),
        content,
        replace,
    })
}
