//! The routes. The page, its assets and the manifest are open; `/pair` needs a pairing code and the
//! page's own Origin; `/ws` checks its token in the first message; everything else needs
//! `Authorization: Bearer <device token>` (401 without one, 404 with one for a route that is not
//! there).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::assets::{Asset, FILES};
use super::pairing::Refusal;
use super::{Device, Server, socket};

/// Requests bodies are small JSON objects.
const MAX_BODY: usize = 4096;

pub fn router(server: Arc<Server>) -> Router {
    let mut router = Router::new();
    for asset in FILES {
        router = router.route(asset.path, get(move || async move { page(asset) }));
    }
    router
        .route("/pair", post(pair))
        .route("/ws", get(socket::upgrade))
        .route("/api/devices/me", get(me))
        .fallback(missing)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(server)
}

/// A refusal with a message that says what to do.
pub fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn page(asset: &'static Asset) -> Response {
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Approve buttons must never sit under another site's frame.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    response
}

#[derive(Deserialize)]
struct PairRequest {
    code: String,
    #[serde(default)]
    device_name: String,
}

/// `POST /pair {code, device_name}` → `{device_id, token}`.
async fn pair(
    State(server): State<Arc<Server>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PairRequest>, JsonRejection>,
) -> Response {
    if !server.origin_allowed(&headers) {
        return refuse(StatusCode::FORBIDDEN, "this page's origin may not pair with the Companion");
    }
    let Ok(Json(request)) = body else {
        return refuse(StatusCode::BAD_REQUEST, "send {\"code\": \"…\", \"device_name\": \"…\"} as JSON");
    };
    let attempt = server.pairing().attempt(peer.ip(), &request.code);
    (server.waker)();
    let refusal = match attempt {
        Ok(()) => {
            return match server.devices.pair(&request.device_name).await {
                Ok((device, token)) => {
                    (server.waker)();
                    Json(json!({ "device_id": device.id, "token": token })).into_response()
                }
                Err(e) => {
                    tracing::error!("a Companion device could not be stored: {e}");
                    refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("the device could not be stored: {e}"))
                }
            };
        }
        Err(refusal) => refusal,
    };
    let status = match refusal {
        Refusal::RateLimited { retry_after_secs } => {
            let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, &refusal.to_string());
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return response;
        }
        Refusal::Wrong => StatusCode::UNAUTHORIZED,
        Refusal::NoCode | Refusal::Expired | Refusal::Voided => StatusCode::GONE,
    };
    refuse(status, &refusal.to_string())
}

/// A request from a paired device (`Authorization: Bearer <token>`).
pub struct Authorized(pub Device);

impl FromRequestParts<Arc<Server>> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, server: &Arc<Server>) -> Result<Self, Response> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|token| server.devices.authenticate(token.trim()))
            .map(Authorized)
            .ok_or_else(|| {
                let mut response = refuse(StatusCode::UNAUTHORIZED, "pair this device first: no valid device token");
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            })
    }
}

/// `GET /api/devices/me`: the device the token belongs to.
async fn me(Authorized(device): Authorized) -> Response {
    Json(json!({ "id": device.id, "name": device.name })).into_response()
}

async fn missing(Authorized(_): Authorized) -> Response {
    refuse(StatusCode::NOT_FOUND, "no such route")
}
