//! Slow and numerous clients (issue 15 §3): a client that dribbles its request head or
//! never speaks is cut off, an idle kept-alive connection is closed, a stalled body ends its request, and
//! connections past the cap are answered 503 at once while the others are served.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use std::time::{Duration, Instant};

use cancuoc_server::ServerConfig;
use reqwest::StatusCode;
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn quick(config: ServerConfig) -> ServerConfig {
    ServerConfig {
        secure_cookies: false,
        ..config
    }
}

fn address(t: &TestApp) -> String {
    t.url("").trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_client_that_dribbles_its_head_or_idles_is_cut_off() {
    let t = spawn_app_with(quick(ServerConfig {
        header_read_timeout: Duration::from_millis(800),
        ..ServerConfig::default()
    }))
    .await;
    // One header byte every 200 ms: never a whole head.
    let mut slow = TcpStream::connect(address(&t)).await.unwrap();
    slow.write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let dribble = async {
        for b in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            .iter()
            .cycle()
        {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if started.elapsed() > Duration::from_secs(10) {
                panic!("the slow client was never cut off");
            }
        }
    };
    dribble.await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // A client that connects and never says a word is closed as well.
    let mut silent = TcpStream::connect(address(&t)).await.unwrap();
    let said = read_until_closed(&mut silent, Duration::from_secs(5))
        .await
        .expect("the silent connection was closed");
    assert!(
        said.is_empty() || said.starts_with(b"HTTP/1.1 408"),
        "{said:?}"
    );

    // A kept-alive connection that goes quiet after its request is closed as well.
    let mut idle = TcpStream::connect(address(&t)).await.unwrap();
    idle.write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle, Duration::from_secs(5))
        .await
        .expect("the idle connection was closed");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer[..40.min(answer.len())])
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_told_to_come_back() {
    let t = spawn_app_with(quick(ServerConfig {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(30),
        ..ServerConfig::default()
    }))
    .await;
    // Three clients connect and say nothing: they hold every slot.
    let mut holders = Vec::new();
    for _ in 0..3 {
        holders.push(TcpStream::connect(address(&t)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut late = TcpStream::connect(address(&t)).await.unwrap();
    let answer = read_until_closed(&mut late, Duration::from_secs(3))
        .await
        .expect("the late client is answered and closed at once");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"server_busy\""), "{answer}");

    // One holder leaves; its slot serves the next client.
    drop(holders.pop());
    let client = client(false);
    let mut served = None;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(r) = client.get(t.url("/api/openapi.json")).send().await
            && r.status() == StatusCode::OK
        {
            served = Some(r.status());
            break;
        }
    }
    assert_eq!(served, Some(StatusCode::OK));
}

#[tokio::test]
async fn a_stalled_body_ends_its_request() {
    let t = spawn_app_with(quick(ServerConfig {
        body_read_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    }))
    .await;
    let mut stream = TcpStream::connect(address(&t)).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"username\": ",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the request ended");
    assert!(started.elapsed() < Duration::from_secs(3));
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
}
