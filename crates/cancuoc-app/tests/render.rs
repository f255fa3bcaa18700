//! Documents are made within a time limit, a few at a time, off the request threads.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use cancuoc_app::{AppConfig, AppError};

#[tokio::test]
async fn a_document_late_past_the_limit_is_given_up_and_its_place_kept() {
    let (app, _dir) = support::app_on_sqlite_with(AppConfig {
        render_time_limit: Duration::from_millis(300),
        ..AppConfig::default()
    })
    .await;
    assert_eq!(app.render(|| 6 * 7).await.unwrap(), 42);

    // As many slow documents as there are places: each request gives up at the limit.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let started = Instant::now();
    let slow: Vec<_> = (0..cores)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                app.render(|| std::thread::sleep(Duration::from_millis(1_500)))
                    .await
            })
        })
        .collect();
    for request in slow {
        assert!(matches!(
            request.await.unwrap(),
            Err(AppError::RenderTimeout)
        ));
    }
    let given_up = started.elapsed();
    assert!(given_up < Duration::from_millis(1_200), "{given_up:?}");
    // The slow ones still hold every place: the next document waits and is given up too,
    // rather than running beside them.
    let e = app.render(|| 1).await.unwrap_err();
    assert!(matches!(e, AppError::RenderTimeout), "{e:?}");
    assert_eq!(e.code().as_str(), "render_timeout");
    // Once they end, documents are made again.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(app.render(|| 2).await.unwrap(), 2);
}
