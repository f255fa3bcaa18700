//! The HTTP JSON API of cancuoc (DESIGN §6 "HTTP", §8).
//!
//! What this crate does:
//! - serves the use cases of [`cancuoc_app::App`] as JSON under `/api/v1`, with its own
//!   request and response types (the only place in the workspace that knows JSON shapes);
//! - describes them in OpenAPI at `GET /api/openapi.json` (utoipa);
//! - authenticates officers by `Authorization: Bearer <token>` or by the `cancuoc_session`
//!   cookie, checks the `X-CSRF-Token` header on cookie-authenticated writes, and keeps an
//!   officer who must change their password away from everything but `/auth/*`;
//! - turns every failure, its own and axum's (bad JSON, unknown fields, wrong content
//!   type, body too large, bad path or query, unknown route), into one error shape
//!   `{"code", "message", "details"}` with a stable snake_case code and a fitting status;
//! - limits request bodies, gives every request an `x-request-id`, and traces each
//!   request with its method, route template, status and request id only.
//!
//! What it does not do: decide anything. Roles, jurisdiction, validation, audit and
//! transactions belong to `cancuoc-app` and the store; handlers parse, call one `App`
//! method and map the result. It knows no SQL and picks no backend (the binary does).
//! It never logs query strings, bodies, names or numbers: a 5xx logs its detail and the
//! caller sees only `internal`. The HTML console is not here yet.

mod auth;
mod connections;
mod console;
mod dto;
mod error;
mod extract;
#[doc(hidden)]
pub mod fuzzing;
mod openapi;
mod pages;
mod routes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use cancuoc_app::App;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub use dto::schedule::{NeedDto, UnitNeedDto};
pub use error::ErrorBody;

/// The cookie that carries the session token of the web console.
pub const SESSION_COOKIE: &str = "cancuoc_session";
/// The header a cookie-authenticated write must carry, equal to the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Body limit of `POST /api/v1/forms/import` (a whole CSV or XLSX file).
pub const IMPORT_BODY_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted, except for imports ([`IMPORT_BODY_LIMIT_BYTES`]).
    pub body_limit_bytes: usize,
    /// Mark the session cookie `Secure` (always, unless serving plain HTTP off loopback
    /// for a test).
    pub secure_cookies: bool,
    /// How long a client may take to send a request's head, and how long a kept-alive
    /// connection may sit idle (see `connections.rs`).
    pub header_read_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_read_timeout: Duration,
    /// Connections open at once; one more is answered 503 `server_busy` and closed.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            secure_cookies: true,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(15),
            // Well under the usual open-file limits (1,024 at the least), leaving room
            // for the database, the vault and the log.
            max_connections: 768,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub app: App,
    pub config: Arc<ServerConfig>,
    /// On a station served with [`serve_station`]: how its console loads a new extract.
    pub reload: Option<std::sync::Weak<StationReload>>,
}

/// A station's new working copy, made from an extract fetched now: what its console's
/// "Tải dữ liệu mới" runs. The fetch belongs to the binary, which holds the link to the
/// central server; the answer is the new copy, or why there is none, in words.
pub type FreshCopy = Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<App, String>> + Send>> + Send + Sync,
>;

/// What lets a station's console swap the copy it serves for a fresh one: each request
/// takes the router current when it arrives, so that nobody is served the old copy once
/// the new one is in place.
pub(crate) struct StationReload {
    fresh: FreshCopy,
    config: ServerConfig,
    routers: tokio::sync::watch::Sender<Router>,
    /// One reload at a time: a second press waits for nothing and is told so.
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl StationReload {
    /// Fetches a new extract and serves the copy made from it; the old copy's last audit
    /// events go to the station's chain first. On failure the old copy stays.
    pub(crate) async fn reload(self: &Arc<Self>, old: &App) -> Result<App, String> {
        let Ok(_alone) = self.one_at_a_time.try_lock() else {
            return Err("a new extract is being loaded already".into());
        };
        let copy = (self.fresh)().await?;
        if let Err(e) = old.mirror_station_audit().await {
            tracing::warn!(error = %e, "the old copy's audit events were not copied");
        }
        let router = router_with(
            copy.clone(),
            self.config.clone(),
            Some(Arc::downgrade(self)),
        );
        drop(self.routers.send_replace(router));
        // Requests still running on the old copy finish within moments: their audit
        // events follow them to the station's chain.
        let old = old.clone();
        tokio::spawn(async move {
            for seconds in [5, 30] {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                if let Err(e) = old.mirror_station_audit().await {
                    tracing::warn!(error = %e, "the old copy's audit events were not copied");
                }
            }
        });
        Ok(copy)
    }
}

/// The whole HTTP interface: `/api/v1/*`, `/api/openapi.json`, with the layers
/// (request ids, tracing, body limits, panic catching, response headers).
/// The console's English phrases, for the browser test of the Vietnamese pages.
#[doc(hidden)]
pub fn console_english_phrases() -> Vec<&'static str> {
    console::english_phrases()
}

pub fn router(app: App, config: ServerConfig) -> Router {
    router_with(app, config, None)
}

fn router_with(
    app: App,
    config: ServerConfig,
    reload: Option<std::sync::Weak<StationReload>>,
) -> Router {
    // A station's working copy has its own page; elsewhere `/tram` is no page at all.
    let station = app.is_station();
    let state = AppState {
        app,
        config: Arc::new(config.clone()),
        reload,
    };
    let (api, mut spec) =
        routes::api(config.body_limit_bytes.max(IMPORT_BODY_LIMIT_BYTES)).split_for_parts();
    openapi::complete(&mut spec);
    let spec_json = match serde_json::to_vec(&spec) {
        Ok(json) => Bytes::from(json),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI description does not serialise");
            Bytes::from_static(b"{}")
        }
    };
    let request_id = HeaderName::from_static("x-request-id");
    // Behind TLS (secure cookies), browsers are told to keep to HTTPS for a year; on plain
    // HTTP for development the header would mean nothing, so it is left out.
    let hsts = config
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000"));
    let api = if station {
        api.route("/tram", axum::routing::get(console::station))
            .route(
                "/tram/goi/{packet}/xu-ly",
                axum::routing::post(console::resolve_packet),
            )
            .route("/tram/tai-ve", axum::routing::post(console::pull_extract))
    } else {
        api
    };
    api.route(
        "/api/openapi.json",
        axum::routing::get(move || openapi::serve(spec_json.clone())),
    )
    .route("/", axum::routing::get(console::home))
    .route("/favicon.ico", axum::routing::get(console::favicon))
    .route("/static/webcam.js", axum::routing::get(console::webcam_js))
    .route("/static/intake.js", axum::routing::get(console::intake_js))
    .route(
        "/dang-nhap",
        axum::routing::get(console::login_form).post(console::login),
    )
    .route("/dang-xuat", axum::routing::post(console::logout))
    .route(
        "/doi-mat-khau",
        axum::routing::get(console::password_form).post(console::change_password),
    )
    .route("/tra-cuu", axum::routing::get(console::search))
    .route(
        "/cong-dan/{personal_id}",
        axum::routing::get(console::citizen),
    )
    .route(
        "/cong-dan/{personal_id}/mat-the",
        axum::routing::post(console::report_lost),
    )
    .route("/dan-cu", axum::routing::get(console::register))
    .route(
        "/dia-ban-dac-biet",
        axum::routing::get(console::remote_districts).post(console::remote_district_action),
    )
    .route(
        "/tram-luu-dong",
        axum::routing::get(console::stations).post(console::station_action),
    )
    .route("/lich", axum::routing::get(console::sessions))
    .route(
        "/chien-dich",
        axum::routing::get(console::campaigns).post(console::create_campaign),
    )
    .route(
        "/chien-dich/{id}/chi-tieu",
        axum::routing::post(console::set_quota),
    )
    .route(
        "/san-xuat",
        axum::routing::get(console::production).post(console::production_step),
    )
    .route("/the/{personal_id}", axum::routing::get(console::card))
    .route("/quan-tri/don-vi", axum::routing::get(console::units))
    .route(
        "/quan-tri",
        axum::routing::get(|| async { axum::response::Redirect::to("/quan-tri/can-bo") }),
    )
    .route(
        "/quan-tri/",
        axum::routing::get(|| async { axum::response::Redirect::to("/quan-tri/can-bo") }),
    )
    .route(
        "/tiep-nhan",
        axum::routing::get(console::intake_form)
            .post(console::intake)
            .layer(DefaultBodyLimit::max(routes::INTAKE_BODY_LIMIT_BYTES)),
    )
    .route(
        "/ho-so-cho-duyet",
        axum::routing::get(console::review).post(console::review_decide),
    )
    .route(
        "/quan-tri/can-bo",
        axum::routing::get(console::officers).post(console::officer_action),
    )
    .route(
        "/quan-tri/nhat-ky",
        axum::routing::get(console::audit).post(console::audit_verify),
    )
    .route("/chien-dich/{id}", axum::routing::get(console::dashboard))
    .route(
        "/ho-so",
        axum::routing::get(console::applications).post(console::applications_step),
    )
    .route(
        "/ho-so/{id}",
        axum::routing::get(console::application).post(console::application_step),
    )
    .route(
        "/ho-so/{id}/sinh-trac",
        axum::routing::post(console::application_biometrics)
            .layer(DefaultBodyLimit::max(routes::INTAKE_BODY_LIMIT_BYTES)),
    )
    .route(
        "/ho-so/{id}/anh/{image}",
        axum::routing::get(console::application_image),
    )
    .route(
        "/lich/ke-hoach",
        axum::routing::get(console::planning).post(console::planning_action),
    )
    .route(
        "/lich/{id}",
        axum::routing::get(console::session).post(console::session_action),
    )
    .route(
        "/dat-lich",
        axum::routing::get(pages::form).post(pages::look_up),
    )
    .route("/dat-lich/chon", axum::routing::post(pages::choose))
    .fallback(routes::no_route)
    .method_not_allowed_fallback(routes::method_not_allowed)
    // On a station, every page says where the station stands.
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        console::station_context,
    ))
    .layer(DefaultBodyLimit::max(config.body_limit_bytes))
    .layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(make_span)
                    .on_request(())
                    .on_response(on_response),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            // A body that stalls ends the request instead of holding its connection.
            .layer(RequestBodyTimeoutLayer::new(config.body_read_timeout))
            .layer(CatchPanicLayer::custom(error::panic_response))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            // URLs carry personal IDs and searched names: never pass them on to
            // another site.
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::STRICT_TRANSPORT_SECURITY,
                hsts,
            ))
            .layer(CompressionLayer::new()),
    )
    .with_state(state)
}

/// The OpenAPI description served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = routes::api(IMPORT_BODY_LIMIT_BYTES).into_openapi();
    openapi::complete(&mut spec);
    spec
}

/// Serves [`router`] on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (_routers, current) = tokio::sync::watch::channel(router(app, config.clone()));
    connections::serve(listener, current, &config, shutdown).await
}

/// Serves a station's working copy as [`serve`] does, with the console's button that
/// loads a new extract (`fresh`) and swaps the copy served for the one made from it.
pub async fn serve_station(
    listener: tokio::net::TcpListener,
    app: App,
    config: ServerConfig,
    fresh: FreshCopy,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut current = None;
    // Held here for as long as the station serves: the routers hold it only weakly.
    let _reload = Arc::new_cyclic(|me| {
        let (routers, receiver) =
            tokio::sync::watch::channel(router_with(app, config.clone(), Some(me.clone())));
        current = Some(receiver);
        StationReload {
            fresh,
            config: config.clone(),
            routers,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    });
    let Some(current) = current else {
        return Err(std::io::Error::other("the station's router was not made"));
    };
    connections::serve(listener, current, &config, shutdown).await
}

/// The span of a request: method, route template (never the concrete path, which may
/// hold a personal ID, nor the query, which may hold a name) and request id.
fn make_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>", MatchedPath::as_str);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "http",
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        status = tracing::field::Empty,
    )
}

fn on_response<B>(response: &axum::http::Response<B>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    tracing::info!(
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "request served"
    );
}
