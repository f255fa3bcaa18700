//! Documents (PDFs, spreadsheets, card proofs) are made on blocking threads, never on the
//! threads that serve requests, at most one per core at once, and a request gives up on a
//! document that is not ready within the time limit: it is answered 503
//! `render_timeout`, and whoever asked may try again. A document still being made keeps
//! its place until it ends, so slow documents can hold only the rendering places, never
//! the server.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::{App, AppError};

/// The rendering places and the time a request waits for its document.
#[derive(Debug)]
pub(crate) struct Renderer {
    places: Arc<Semaphore>,
    limit: Duration,
}

impl Renderer {
    pub(crate) fn new(limit: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            places: Arc::new(Semaphore::new(cores)),
            limit,
        }
    }
}

impl App {
    /// Makes a document with `make` on a blocking thread, within the time limit
    /// (`AppConfig::render_time_limit`), counted from the call: the wait for a place
    /// included.
    pub async fn render<T: Send + 'static>(
        &self,
        make: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let deadline = tokio::time::Instant::now() + self.renderer.limit;
        let place = tokio::time::timeout_at(deadline, self.renderer.places.clone().acquire_owned())
            .await
            .map_err(|_| AppError::RenderTimeout)?
            .map_err(|e| AppError::Internal(format!("rendering places: {e}")))?;
        let job = tokio::task::spawn_blocking(move || {
            let _place = place;
            make()
        });
        match tokio::time::timeout_at(deadline, job).await {
            Ok(Ok(document)) => Ok(document),
            Ok(Err(e)) => Err(AppError::Internal(format!("rendering: {e}"))),
            Err(_) => Err(AppError::RenderTimeout),
        }
    }
}
