//! Accepting connections: how long a client may take to speak, and how many may be open.
//!
//! A slow client can hold only its own connection: the request head must arrive within
//! [`ServerConfig::header_read_timeout`] (a connection idle between requests counts as
//! waiting for a head, so this is also the keep-alive idle time), each piece of a body
//! within [`ServerConfig::body_read_timeout`], and past [`ServerConfig::max_connections`]
//! a new connection is answered 503 at once and closed, before any file descriptor runs
//! out for the ones being served.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::ServerConfig;

/// How long requests already being served may take to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(30);

/// The answer to a connection beyond the limit, written without reading its request.
fn busy() -> Vec<u8> {
    let body = r#"{"code":"server_busy","message":"too many open connections: try again in a few seconds","details":null}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` (the one current when each request arrives) on `listener` until
/// `shutdown` resolves, then lets the requests in flight finish (for at most [`DRAIN`]).
pub(crate) async fn serve(
    listener: TcpListener,
    router: tokio::sync::watch::Receiver<Router>,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // HTTP/1.1 only: the console and the API sit behind a TLS proxy that speaks it, and
    // HTTP/2's pings would keep a silent client's connection open for ever. The head
    // timer also runs from the first byte of a connection, so a client that never
    // speaks is closed as one that speaks too slowly.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(with_peer(router.clone(), peer));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or times out ends its connection; nothing to report.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running {DRAIN:?} after shutdown began were cut off");
    }
    Ok(())
}

/// The router with the peer's address in every request, for `ConnectInfo` (the throttles
/// key on it).
fn with_peer(
    router: tokio::sync::watch::Receiver<Router>,
    peer: SocketAddr,
) -> impl tower::Service<
    Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone {
    tower::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let current = router.borrow().clone();
        current.oneshot(request.map(axum::body::Body::new))
    })
}

/// Answers 503 to a connection over the limit and closes it. What the client already
/// sent is read first (briefly): closing a socket with unread input resets it, and the
/// reset can reach the client before the answer does.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&busy()).await;
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 4096];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(100), stream.read(&mut sink)).await
        {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}
